using System.CommandLine;
using PipeChat.LoadTests.Compare;
using PipeChat.LoadTests.Reports;

namespace PipeChat.LoadTests.Cli;

/// <summary><c>compare</c>: one scenario across server models and connection counts, one fresh server per run.</summary>
internal static class CompareCommand
{
    private static readonly string[] AllModels = ["async", "threads", "iterative"];

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var common = new ScenarioOptions();
        var conns = OptionParsers.IntList("--conns", [1, 10, 100, 1000], "connection counts (chat: members)");
        var models = OptionParsers.NameList("--models", AllModels, AllModels, "server connection models (iterative: echo only)");
        var serverCmd = new Option<string>("--server-cmd")
        {
            Description = "server command; {repo} {protocol} {model} {port} are filled in; it must print 'listening on tcp://HOST:PORT' (default: " + CompareOptions.DefaultServerCommand + ")",
            DefaultValueFactory = _ => CompareOptions.DefaultServerCommand,
        };
        var serverArgs = new Option<string>("--server-args")
        {
            Description = "extra server options appended to the server command, e.g. \"--max-connections 200 --max-pending-output 65536\"",
            DefaultValueFactory = _ => string.Empty,
        };
        var nodes = OptionParsers.IntList("--nodes", [1], "chat: server counts; 1 is one server, N > 1 a cluster of N servers over --nats, members spread round robin (e.g. 1,2)");
        var nats = new Option<string?>("--nats") { Description = "chat: the NATS server the clusters of --nodes join, e.g. nats://127.0.0.1:4222 (started by you, with -js)" };
        var startTimeout = OptionParsers.Duration("--start-timeout", TimeSpan.FromSeconds(30), "how long a server may take to print its listening line");
        var stopTimeout = OptionParsers.Duration("--stop-timeout", TimeSpan.FromSeconds(10), "how long a server may take to exit after SIGTERM before SIGKILL");
        var sampleInterval = OptionParsers.Duration("--sample-interval", TimeSpan.FromMilliseconds(100), "how often the server's /proc status is sampled");
        var rounds = OptionParsers.Range(
            "--rounds",
            1,
            CompareRounds.MinRounds,
            CompareRounds.MaxRounds,
            "run every cell this many times, each on a fresh server, the model order rotated by one each round (round 1: A B C, round 2: B C A, ...); each row shows its median round by the main rate " +
            "(lower middle for an even count) with the rounds completed and the min–max spread; an error or a broken threshold in any round makes the exit code 1; use 3-5 for any claim");
        var unix = new Option<bool>("--unix") { Description = "echo: each server listens on a Unix socket of its own in a temporary folder ({unix} in --server-cmd, or --unix PATH in place of --port {port}); the clients connect there" };
        var command = new Command("compare", "Start the server once per model and connection count (and round, with --rounds), run the scenario, sample RSS and threads, and write comparison reports.");
        common.AddTo(command);
        foreach (var option in new Option[] { conns, models, serverCmd, serverArgs, nodes, nats, startTimeout, stopTimeout, sampleInterval, unix, rounds })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (r, ct) =>
        {
            string repo = CompareOptions.FindRepositoryRoot(Environment.CurrentDirectory)
                ?? CompareOptions.FindRepositoryRoot(AppContext.BaseDirectory)
                ?? Environment.CurrentDirectory;
            string template = r.GetValue(serverCmd)!;
            if (template == CompareOptions.DefaultServerCommand)
            {
                string dll = Path.Combine(repo, "src/PipeChat.Cli/bin/Release/net10.0/pipechat.dll");
                if (!File.Exists(dll))
                {
                    await stderr.WriteLineAsync($"error: {dll} not found; build the server first: dotnet build -c Release src/PipeChat.Cli (or pass --server-cmd)").ConfigureAwait(false);
                    return 1;
                }
            }

            if (r.GetValue(nodes)!.Any(n => n > 1) && string.IsNullOrWhiteSpace(r.GetValue(nats)))
            {
                await stderr.WriteLineAsync("error: --nodes over 1 needs --nats URL (a nats-server -js you started)").ConfigureAwait(false);
                return 2;
            }

            string outDir = r.GetValue(common.Out)!;
            var options = new CompareOptions
            {
                Scenario = r.GetValue(common.Scenario)!,
                Models = r.GetValue(models)!,
                Connections = r.GetValue(conns)!,
                Settings = common.Settings(r, 1),
                ServerCommand = template,
                ServerArgs = r.GetValue(serverArgs)!.Trim(),
                Nodes = r.GetValue(nodes)!,
                NatsUrl = r.GetValue(nats),
                RepositoryRoot = repo,
                LogDirectory = Path.Combine(outDir, "logs"),
                StartTimeout = r.GetValue(startTimeout),
                StopTimeout = r.GetValue(stopTimeout),
                SampleInterval = r.GetValue(sampleInterval),
                Thresholds = r.GetValue(common.Thresholds) ?? [],
                RunOptions = common.RunOptions(r),
                Log = stderr,
                UnixSockets = r.GetValue(unix),
                Rounds = r.GetValue(rounds),
            };
            if (options.UnixSockets && CompareRunner.UnixSocketsProblem(options) is { } problem)
            {
                await stderr.WriteLineAsync("error: " + problem).ConfigureAwait(false);
                return 2;
            }

            var report = await CompareRunner.RunAsync(options, ct).ConfigureAwait(false);
            await stdout.WriteAsync(MarkdownReport.Compare(report)).ConfigureAwait(false);
            try
            {
                var paths = ReportWriter.WriteCompare(report, outDir);
                await stdout.WriteLineAsync("reports: " + string.Join(", ", paths)).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                await stderr.WriteLineAsync($"error: cannot write reports: {ex.Message}").ConfigureAwait(false);
                return 1;
            }

            if (ct.IsCancellationRequested)
            {
                return 130;
            }

            bool ok = report.Rows.All(CompareRounds.Passed);
            return ok ? 0 : 1;
        });
        return command;
    }
}
