using System.Globalization;
using PipeChat.LoadTests.Harness;
using PipeChat.LoadTests.Reports;
using PipeChat.LoadTests.Scenarios;

namespace PipeChat.LoadTests.Compare;

/// <summary>
/// Runs one scenario against each server model at each connection count, interleaved
/// (for each count: model A, B, C), each run on a fresh server process whose RSS and threads
/// are sampled from /proc while the load runs. With <see cref="CompareOptions.Rounds"/> over 1 it
/// does that once per round, the model order rotated by one each round, and reports each cell's
/// median round (<see cref="CompareRounds"/>).
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

        if (options.UnixSockets && UnixSocketsProblem(options) is { } problem)
        {
            throw new ArgumentException(problem, nameof(options));
        }

        if (options.Rounds is < CompareRounds.MinRounds or > CompareRounds.MaxRounds)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Rounds, $"rounds must be {CompareRounds.MinRounds} to {CompareRounds.MaxRounds}");
        }

        // cell (conns, model, nodes) -> its rows, one per round in round order
        var cells = new Dictionary<(int Conns, string Model, int Nodes), List<CompareRow>>();
        var sockets = options.UnixSockets ? Directory.CreateTempSubdirectory("pipechat-compare-") : null;
        try
        {
            for (int round = 1; round <= options.Rounds && !cancellationToken.IsCancellationRequested; round++)
            {
                var order = CompareRounds.Order(models, round);
                var run = options.Rounds == 1 ? new RoundTag(string.Empty, string.Empty) : new RoundTag(
                    string.Create(CultureInfo.InvariantCulture, $"round {round}/{options.Rounds}: "),
                    string.Create(CultureInfo.InvariantCulture, $"-r{round}"));
                if (options.Rounds > 1)
                {
                    options.Log.WriteLine($"compare: {run.Prefix}models in order {string.Join(", ", order)}");
                }

                foreach (int conns in options.Connections)
                {
                    foreach (string model in order)
                    {
                        foreach (int nodes in options.Nodes)
                        {
                            if (cancellationToken.IsCancellationRequested)
                            {
                                break;
                            }

                            string? unixPath = sockets is null ? null : Path.Combine(sockets.FullName, string.Create(CultureInfo.InvariantCulture, $"{model}-{conns}{run.FileSuffix}.sock"));
                            var row = await RunOneAsync(options, protocol, model, conns, nodes, unixPath, run, cancellationToken).ConfigureAwait(false);
                            if (!cells.TryGetValue((conns, model, nodes), out var list))
                            {
                                cells[(conns, model, nodes)] = list = [];
                            }

                            list.Add(row);
                        }
                    }
                }
            }
        }
        finally
        {
            sockets?.Delete(recursive: true);
        }

        // rows in the order of a single round: counts, then models as given, then nodes
        var rows = new List<CompareRow>();
        foreach (int conns in options.Connections)
        {
            foreach (string model in models)
            {
                foreach (int nodes in options.Nodes)
                {
                    if (cells.TryGetValue((conns, model, nodes), out var list))
                    {
                        rows.Add(options.Rounds == 1 ? list[0] : CompareRounds.Summarize(list));
                    }
                }
            }
        }

        var settings = options.Settings with { Target = null };
        var describe = ScenarioCatalog.Create(options.Scenario, settings with { Connections = 1 }).Settings
            .Where(kv => kv.Key is not ("target" or "connections" or "members" or "sockets"))
            .ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        describe["warm-up"] = DurationFormat.Format(ScenarioCatalog.Create(options.Scenario, settings with { Connections = 1 }).WarmUp);
        describe.Remove("server RSS");
        if (options.UnixSockets)
        {
            describe["socket"] = "Unix domain stream socket, a fresh path per server in a temporary folder";
        }

        if (floodLimit is not null)
        {
            describe["flood limit"] = floodLimit;
        }

        if (options.Nodes.Any(n => n > 1))
        {
            describe["nodes"] = $"{string.Join(", ", options.Nodes)} (N > 1: a cluster over {options.NatsUrl}, members round robin, the publishers on the first node; RSS and threads of the first node)";
        }

        if (options.Rounds > 1)
        {
            describe["rounds"] = string.Create(
                CultureInfo.InvariantCulture,
                $"{options.Rounds}, every cell once per round on a fresh server; the model order rotates by one each round ({CompareRounds.RotationText(models, options.Rounds)}), connection and node counts keep their order; each row is its cell's median round (see below)");
        }

        return new CompareReport(
            options.Scenario,
            [.. models.SelectMany(m => options.Nodes.Select(n => Label(m, n)))],
            options.Connections,
            rows,
            describe,
            Expand(options, protocol, "{model}", options.UnixSockets ? "{unix}" : null),
            started)
        {
            Rounds = options.Rounds,
        };
    }

    /// <summary>Why a run over Unix sockets cannot be done (not echo, several nodes, a command that cannot take the path), or null.</summary>
    public static string? UnixSocketsProblem(CompareOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Scenario != "echo" ? $"--unix: scenario '{options.Scenario}' loads TCP or UDP only; Unix sockets take the echo scenario"
            : options.Nodes.Any(n => n != 1) ? "--unix: --nodes does not apply (echo runs one server)"
            : options.ServerCommand.Contains("{unix}", StringComparison.Ordinal) || options.ServerCommand.Contains("--port {port}", StringComparison.Ordinal) ? null
            : "--unix: the server command needs {unix} (the socket path) or --port {port} (replaced by --unix PATH)";
    }

    private static string Expand(CompareOptions options, string protocol, string model, string? unixPath = null) =>
        (CompareOptions.Expand(unixPath is null ? options.ServerCommand : CompareOptions.WithUnixSocket(options.ServerCommand, unixPath), options.RepositoryRoot, protocol, model) + " " + options.ServerArgs).TrimEnd();

    /// <summary>The report's name for a model run on <paramref name="nodes"/> servers.</summary>
    public static string Label(string model, int nodes) => nodes == 1 ? model : string.Create(CultureInfo.InvariantCulture, $"{model} ×{nodes} nodes");

    private static async Task<CompareRow> RunOneAsync(CompareOptions options, string protocol, string model, int conns, int nodes, string? unixPath, RoundTag run, CancellationToken cancellationToken)
    {
        if (nodes > 1)
        {
            return await RunClusterAsync(options, protocol, model, conns, nodes, run, cancellationToken).ConfigureAwait(false);
        }

        string command = Expand(options, protocol, model, unixPath);
        string label = string.Create(CultureInfo.InvariantCulture, $"{run.Prefix}{options.Scenario} model={model} conns={conns}");
        options.Log.WriteLine($"compare: {label}: starting `{command}`");
        string? logPath = options.LogDirectory is null
            ? null
            : Path.Combine(options.LogDirectory, string.Create(CultureInfo.InvariantCulture, $"server-{options.Scenario}-{model}-{conns}{run.FileSuffix}.log"));
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
            var settings = server.UnixPath is { } path
                ? options.Settings with { Target = null, UnixTarget = path, Connections = conns, ServerPid = server.ServerPid }
                : options.Settings with { Target = server.EndPoint, Connections = conns, ServerPid = server.ServerPid };
            var (stats, sample, error, thresholds) = await MeasureAsync(options, label, settings, server.ServerPid, cancellationToken).ConfigureAwait(false);
            int? exit = await server.StopAsync(options.StopTimeout).ConfigureAwait(false);
            options.Log.WriteLine(exit is null
                ? $"compare: {label}: server did not exit within {DurationFormat.Format(options.StopTimeout)} of SIGTERM; killed"
                : $"compare: {label}: server exited with code {exit}");
            if (stats is not null)
            {
                options.Log.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"compare: {label}: {stats.RequestNoun}/s {stats.Rps:0} p99 {stats.Latency.P99Us / 1000:0.###} ms failed {stats.Failed} starved conns {Reports.ResultNotes.Starved(stats)} peak RSS {sample.PeakRssKb / 1024.0:0.0} MiB threads {sample.MaxThreads}"));
            }

            return new CompareRow(model, conns, stats, sample, error, thresholds);
        }
    }

    // Runs the scenario against a started server while sampling its process (CPU, RSS, threads).
    private static async Task<(ScenarioStats? Stats, ServerSample Sample, string? Error, ThresholdResult[] Thresholds)> MeasureAsync(
        CompareOptions options, string label, ScenarioSettings settings, int serverPid, CancellationToken cancellationToken)
    {
        var scenario = ScenarioCatalog.Create(options.Scenario, settings);
        ScenarioStats? stats = null;
        string? error = null;
        ServerSample sample;
        var sampler = new ProcessSampler(serverPid, options.SampleInterval);
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

        var thresholds = stats is null ? [] : scenario.Thresholds.Concat(options.Thresholds).Select(t => t.Evaluate(stats)).ToArray();
        return (stats, sample, error, thresholds);
    }

    /// <summary>One row on a fresh cluster of <paramref name="nodes"/> servers joined over the NATS server of the options.</summary>
    private static async Task<CompareRow> RunClusterAsync(CompareOptions options, string protocol, string model, int conns, int nodes, RoundTag run, CancellationToken cancellationToken)
    {
        string name = Label(model, nodes);
        string cluster = "compare" + Guid.NewGuid().ToString("N")[..8];
        string command = $"{Expand(options, protocol, model)} --cluster {options.NatsUrl} --cluster-name {cluster}";
        string label = string.Create(CultureInfo.InvariantCulture, $"{run.Prefix}{options.Scenario} model={name} conns={conns}");
        options.Log.WriteLine($"compare: {label}: starting {nodes} × `{command}`");
        var servers = new List<ServerProcess>();
        try
        {
            for (int i = 0; i < nodes; i++)
            {
                string? logPath = options.LogDirectory is null
                    ? null
                    : Path.Combine(options.LogDirectory, string.Create(CultureInfo.InvariantCulture, $"server-{options.Scenario}-{model}-{conns}{run.FileSuffix}-node{i + 1}.log"));
                servers.Add(await ServerProcess.StartAsync(command, options.RepositoryRoot, logPath, options.StartTimeout, cancellationToken).ConfigureAwait(false));
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception or FormatException or OperationCanceledException)
        {
            options.Log.WriteLine($"compare: {label}: server did not start: {ex.Message}");
            foreach (var started in servers)
            {
                await started.DisposeAsync().ConfigureAwait(false);
            }

            return new CompareRow(name, conns, null, null, "server did not start: " + ex.Message, []);
        }

        try
        {
            var settings = options.Settings with { Target = servers[0].EndPoint, Targets = [.. servers.Select(s => s.EndPoint)], Connections = conns, ServerPid = servers[0].ServerPid };
            var (stats, sample, error, thresholds) = await MeasureAsync(options, label, settings, servers[0].ServerPid, cancellationToken).ConfigureAwait(false);
            if (stats is not null)
            {
                options.Log.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"compare: {label}: {stats.RequestNoun}/s {stats.Rps:0} p99 {stats.Latency.P99Us / 1000:0.###} ms failed {stats.Failed}"));
            }

            return new CompareRow(name, conns, stats, sample, error, thresholds);
        }
        finally
        {
            foreach (var server in servers)
            {
                await server.StopAsync(options.StopTimeout).ConfigureAwait(false);
                await server.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    // A round's log prefix ("round 2/3: ", empty for a single round) and file-name suffix ("-r2").
    private readonly record struct RoundTag(string Prefix, string FileSuffix);
}
