using System.Globalization;
using PipeChat.LoadTests.Harness;
using PipeChat.LoadTests.Reports;
using PipeChat.LoadTests.Scenarios;

namespace PipeChat.LoadTests.Compare;

/// <summary>
/// Runs one scenario against each server model at each connection count, interleaved
/// (for each count: model A, B, C), each run on a fresh server process whose RSS and threads
/// are sampled from /proc while the load runs.
/// </summary>
public static class CompareRunner
{
    /// <summary>Models that only serve echo.</summary>
    public static readonly IReadOnlySet<string> EchoOnlyModels = new HashSet<string>(StringComparer.Ordinal) { "iterative" };

    /// <summary>Runs the comparison.</summary>
    public static async Task<CompareReport> RunAsync(CompareOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var started = DateTimeOffset.UtcNow;
        string protocol = ScenarioCatalog.ProtocolOf(options.Scenario, options.Settings);
        string? floodLimit = null;
        if (CapacityArgs.IsCapacityRun(options.Scenario) && options.ServerCommand == CompareOptions.DefaultServerCommand &&
            !options.ServerArgs.Contains("--max-line-rate", StringComparison.Ordinal))
        {
            string dll = Path.Combine(options.RepositoryRoot, "src/PipeChat.Cli/bin/Release/net10.0/pipechat.dll");
            if (await CapacityArgs.ServerKnowsMaxLineRateAsync(dll, cancellationToken).ConfigureAwait(false))
            {
                options = options with { ServerArgs = (options.ServerArgs + " " + CapacityArgs.FloodLimitOff).Trim() };
                floodLimit = $"off for this capacity run ({CapacityArgs.FloodLimitOff} added)";
            }
            else
            {
                floodLimit = "this server has no --max-line-rate (no flood limit); nothing added";
            }
        }

        var models = options.Models.Where(m => protocol.StartsWith("echo", StringComparison.Ordinal) || !EchoOnlyModels.Contains(m)).ToArray();
        foreach (var skipped in options.Models.Except(models))
        {
            options.Log.WriteLine($"compare: model '{skipped}' serves echo only; skipped for '{options.Scenario}'");
        }

        var rows = new List<CompareRow>();
        foreach (int conns in options.Connections)
        {
            foreach (string model in models)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    break;
                }

                rows.Add(await RunOneAsync(options, protocol, model, conns, cancellationToken).ConfigureAwait(false));
            }
        }

        var settings = options.Settings with { Target = null };
        var describe = ScenarioCatalog.Create(options.Scenario, settings with { Connections = 1 }).Settings
            .Where(kv => kv.Key is not ("target" or "connections" or "members" or "sockets"))
            .ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        describe["warm-up"] = DurationFormat.Format(ScenarioCatalog.Create(options.Scenario, settings with { Connections = 1 }).WarmUp);
        describe.Remove("server RSS");
        if (floodLimit is not null)
        {
            describe["flood limit"] = floodLimit;
        }

        return new CompareReport(
            options.Scenario,
            models,
            options.Connections,
            rows,
            describe,
            Expand(options, protocol, "{model}"),
            started);
    }

    private static string Expand(CompareOptions options, string protocol, string model) =>
        (CompareOptions.Expand(options.ServerCommand, options.RepositoryRoot, protocol, model) + " " + options.ServerArgs).TrimEnd();

    private static async Task<CompareRow> RunOneAsync(CompareOptions options, string protocol, string model, int conns, CancellationToken cancellationToken)
    {
        string command = Expand(options, protocol, model);
        string label = string.Create(CultureInfo.InvariantCulture, $"{options.Scenario} model={model} conns={conns}");
        options.Log.WriteLine($"compare: {label}: starting `{command}`");
        string? logPath = options.LogDirectory is null
            ? null
            : Path.Combine(options.LogDirectory, string.Create(CultureInfo.InvariantCulture, $"server-{options.Scenario}-{model}-{conns}.log"));
        ServerProcess server;
        try
        {
            server = await ServerProcess.StartAsync(command, options.RepositoryRoot, logPath, options.StartTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception or FormatException or OperationCanceledException)
        {
            options.Log.WriteLine($"compare: {label}: server did not start: {ex.Message}");
            return new CompareRow(model, conns, null, null, "server did not start: " + ex.Message, []);
        }

        await using (server.ConfigureAwait(false))
        {
            options.Log.WriteLine($"compare: {label}: server pid {server.ServerPid} {server.ListeningLine.Trim()}");
            var settings = options.Settings with { Target = server.EndPoint, Connections = conns, ServerPid = server.ServerPid };
            var scenario = ScenarioCatalog.Create(options.Scenario, settings);
            ScenarioStats? stats = null;
            string? error = null;
            ServerSample sample;
            var sampler = new ProcessSampler(server.ServerPid, options.SampleInterval);
            await using (sampler.ConfigureAwait(false))
            {
                try
                {
                    stats = await ScenarioRunner.RunAsync(scenario, options.RunOptions, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or System.Net.Sockets.SocketException or OperationCanceledException or IOException)
                {
                    error = "run failed: " + ex.Message;
                    options.Log.WriteLine($"compare: {label}: {error}");
                }

                sample = await sampler.StopAsync().ConfigureAwait(false);
            }

            int? exit = await server.StopAsync(options.StopTimeout).ConfigureAwait(false);
            options.Log.WriteLine(exit is null
                ? $"compare: {label}: server did not exit within {DurationFormat.Format(options.StopTimeout)} of SIGTERM; killed"
                : $"compare: {label}: server exited with code {exit}");
            var thresholds = stats is null ? [] : scenario.Thresholds.Concat(options.Thresholds).Select(t => t.Evaluate(stats)).ToArray();
            if (stats is not null)
            {
                options.Log.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"compare: {label}: {stats.RequestNoun}/s {stats.Rps:0} p99 {stats.Latency.P99Us / 1000:0.###} ms failed {stats.Failed} starved conns {Reports.ResultNotes.Starved(stats)} peak RSS {sample.PeakRssKb / 1024.0:0.0} MiB threads {sample.MaxThreads}"));
            }

            return new CompareRow(model, conns, stats, sample, error, thresholds);
        }
    }
}
