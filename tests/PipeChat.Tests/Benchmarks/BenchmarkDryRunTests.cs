using System.Diagnostics.CodeAnalysis;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Xunit.Abstractions;

namespace PipeChat.Tests.Benchmarks;

/// <summary>
/// Runs every benchmark of bench/PipeChat.Benchmarks once, in this process, with BenchmarkDotNet's
/// Dry job (one cold invocation, no warm-up): not a measurement, a check that every suite and every
/// parameter case sets up, runs and cleans up without throwing. Takes about 15-30 s.
/// </summary>
public sealed class BenchmarkDryRunTests(ITestOutputHelper output)
{
    private static readonly string[] Suites = ["AsyncEchoPerMessage", "Broadcast", "EchoRoundTrip", "Framing", "TlsEchoPerMessage", "Transport"];

    [Fact]
    public void Every_benchmark_case_runs_once_in_process_without_failing()
    {
        // The check itself must see a throwing benchmark as a failure, or it proves nothing.
        var (canary, _) = Run([typeof(ThrowingBenchmark)]);
        Assert.Contains(Failures(canary), failure => failure.Contains(nameof(ThrowingBenchmark), StringComparison.Ordinal));

        var suites = typeof(PipeChat.Benchmarks.Program).Assembly.GetTypes()
            .Where(type => type.IsPublic && !type.IsAbstract
                && type.GetMethods().Any(method => method.IsDefined(typeof(BenchmarkAttribute), inherit: false)))
            .OrderBy(type => type.Name, StringComparer.Ordinal)
            .ToArray();
        Assert.Equal(Suites, suites.Select(type => type.Name));

        var (summaries, log) = Run(suites);
        output.WriteLine(log);

        var failures = Failures(summaries);
        Assert.True(failures.Count == 0, "Benchmarks failed:\n" + string.Join('\n', failures) + "\n\nLog tail:\n" + Tail(log, 8000));
        Assert.Equal(suites.Length, summaries.Length);
    }

    private static (Summary[] Summaries, string Log) Run(Type[] types)
    {
        var artifacts = Path.Combine(Path.GetTempPath(), "pipechat-bdn-dry-" + Guid.NewGuid().ToString("N"));
        var logger = new AccumulationLogger();
        var config = ManualConfig.CreateEmpty()
            .AddJob(Job.Dry.WithToolchain(InProcessEmitToolchain.Instance))
            .AddLogger(logger)
            .AddColumnProvider(DefaultConfig.Instance.GetColumnProviders().ToArray())
            .AddValidator(DefaultConfig.Instance.GetValidators().ToArray())
            .AddAnalyser(DefaultConfig.Instance.GetAnalysers().ToArray())
            .WithArtifactsPath(artifacts)
            // Tests build Debug; a dry run only checks that the code runs, not how fast.
            .WithOptions(ConfigOptions.DisableOptimizationsValidator | ConfigOptions.DisableLogFile);
        try
        {
            return (BenchmarkRunner.Run(types, config), logger.GetLog());
        }
        finally
        {
            try
            {
                Directory.Delete(artifacts, recursive: true);
            }
            catch (DirectoryNotFoundException)
            {
                // Nothing was written.
            }
        }
    }

    /// <summary>Every way a run can go wrong, one line each: critical validation errors, missing or failed cases.</summary>
    private static List<string> Failures(Summary[] summaries)
    {
        var failures = new List<string>();
        if (summaries.Length == 0)
        {
            failures.Add("no summary at all");
        }

        foreach (var summary in summaries)
        {
            // Non-critical ones are advice ("no exporters", "not optimized"): the cases still ran.
            failures.AddRange(summary.ValidationErrors.Where(error => error.IsCritical).Select(error =>
                $"critical validation error in {summary.Title}: {error.Message}"));

            if (summary.BenchmarksCases.Length == 0)
            {
                failures.Add($"{summary.Title}: no benchmark case ran");
            }

            foreach (var benchmark in summary.BenchmarksCases)
            {
                var report = summary.Reports.FirstOrDefault(r => r.BenchmarkCase == benchmark);
                if (report is null)
                {
                    failures.Add($"{benchmark.DisplayInfo}: no report");
                }
                else if (!report.Success || report.ExecuteResults.Any(result => !result.IsSuccess))
                {
                    var errors = report.ExecuteResults.SelectMany(result => result.Errors);
                    failures.Add($"{benchmark.DisplayInfo}: failed {string.Join(" | ", errors)} (see the log)");
                }
            }
        }

        return failures;
    }

    private static string Tail(string text, int length) => text.Length <= length ? text : text[^length..];

    /// <summary>A benchmark that always throws: the canary for <see cref="Failures"/>.</summary>
    public class ThrowingBenchmark
    {
        [Benchmark]
        [SuppressMessage("Performance", "CA1822", Justification = "BenchmarkDotNet calls benchmarks on an instance.")]
        public int Throws() => throw new InvalidOperationException("canary benchmark failure");
    }
}
