using System.CommandLine;
using System.Globalization;
using PipeChat.LoadTests.Harness;
using PipeChat.LoadTests.Reports;
using PipeChat.LoadTests.Scenarios;

namespace PipeChat.LoadTests.Cli;

/// <summary><c>run</c>: one scenario against one target; prints a summary and writes the reports.</summary>
internal static class RunCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var common = new ScenarioOptions();
        var target = OptionParsers.Target();
        var targets = OptionParsers.Targets();
        var conns = OptionParsers.Positive("--conns", 50, "connections (chat: members; conns: idle connections to hold)");
        var serverPid = new Option<int?>("--server-pid") { Description = "soak: the server's process id, to sample its RSS from /proc (compare knows it)" };
        var command = new Command("run", "Run one scenario against a server that is already listening (loopback only).");
        common.AddTo(command);
        command.Options.Add(target);
        command.Options.Add(targets);
        command.Options.Add(conns);
        command.Options.Add(serverPid);
        command.SetAction(async (r, ct) =>
        {
            var settings = common.Settings(r, r.GetValue(conns)) with { Target = r.GetValue(target) as System.Net.IPEndPoint, UnixTarget = (r.GetValue(target) as System.Net.Sockets.UnixDomainSocketEndPoint)?.ToString(), Targets = r.GetValue(targets), ServerPid = r.GetValue(serverPid) };
            string name = r.GetValue(common.Scenario)!;
            var thresholds = r.GetValue(common.Thresholds) ?? [];
            if (settings.UnixTarget is not null && name != "echo")
            {
                // A usage error, as compare --unix reports it: exit 2, one line.
                await stderr.WriteLineAsync($"error: --target unix:PATH: scenario '{name}' loads TCP or UDP only; Unix sockets take the echo scenario").ConfigureAwait(false);
                return 2;
            }

            var started = DateTimeOffset.UtcNow;
            ScenarioStats stats;
            ScenarioDefinition scenario;
            try
            {
                scenario = ScenarioCatalog.Create(name, settings);
                stats = await ScenarioRunner.RunAsync(scenario, common.RunOptions(r) with { ProgressWriter = null }, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or TimeoutException or System.Net.Sockets.SocketException or IOException)
            {
                await stderr.WriteLineAsync($"error: {ex.Message}").ConfigureAwait(false);
                return 1;
            }

            var results = scenario.Thresholds.Concat(thresholds).Select(t => t.Evaluate(stats)).ToArray();
            var report = new RunReport(stats, results, started);
            WriteSummary(stdout, stats, results);
            try
            {
                var paths = ReportWriter.WriteRun(report, r.GetValue(common.Out)!);
                await stdout.WriteLineAsync("reports: " + string.Join(", ", paths)).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                await stderr.WriteLineAsync($"error: cannot write reports: {ex.Message}").ConfigureAwait(false);
                return 1;
            }

            if (ct.IsCancellationRequested)
            {
                await stderr.WriteLineAsync("interrupted: the report covers the time until the interruption").ConfigureAwait(false);
                return 130;
            }

            return results.All(t => t.Passed) ? 0 : 1;
        });
        return command;
    }

    internal static void WriteSummary(TextWriter o, ScenarioStats s, IReadOnlyList<ThresholdResult> thresholds)
    {
        var inv = CultureInfo.InvariantCulture;
        var l = s.Latency;
        o.WriteLine($"scenario {s.Name}: {string.Join(", ", s.Settings.Select(kv => kv.Key + " " + kv.Value))}");
        o.WriteLine($"load: {string.Join(", ", s.LoadSimulations)}; measured {s.DurationSeconds.ToString("0.##", inv)} s");
        o.WriteLine(string.Create(inv, $"{s.RequestNoun}: ok {s.Ok}  failed {s.Failed}  fail rate {s.FailRate * 100:0.###} %  starved conns {ResultNotes.Starved(s)}  {ResultNotes.RateLabel(s)} {s.Rps:0.#}"));
        o.WriteLine(ResultNotes.CountsNote(s));
        if (ResultNotes.Warning(s) is { } warning)
        {
            o.WriteLine(warning);
        }

        o.WriteLine(string.Create(
            inv,
            $"latency ms: min {l.MinUs / 1000:0.###}  mean {l.MeanUs / 1000:0.###}  p50 {l.P50Us / 1000:0.###}  p75 {l.P75Us / 1000:0.###}  p95 {l.P95Us / 1000:0.###}  p99 {l.P99Us / 1000:0.###}  p99.9 {l.P999Us / 1000:0.###}  max {l.MaxUs / 1000:0.###}"));
        o.WriteLine(string.Create(inv, $"bytes: in {s.BytesIn}  out {s.BytesOut}"));
        o.WriteLine(string.Create(inv, $"load generator CPU: {s.GeneratorCpuPercent:0} % of one core ({s.ProcessorCount} cores)"));
        if (s.Metrics.Count > 0)
        {
            o.WriteLine("metrics: " + string.Join("  ", s.Metrics.Select(m => m.Key + " " + m.Value.ToString("0.##", inv))));
        }

        if (s.Errors.Count > 0)
        {
            o.WriteLine("failures: " + string.Join("  ", s.Errors.Select(e => $"'{e.Key}' {e.Value}")));
        }

        foreach (var t in thresholds)
        {
            o.WriteLine("threshold " + t.Message);
        }
    }
}
