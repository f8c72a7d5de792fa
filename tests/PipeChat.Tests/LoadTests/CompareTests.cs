using System.Diagnostics;
using System.Net;
using PipeChat.LoadTests.Compare;
using PipeChat.LoadTests.Harness;
using PipeChat.LoadTests.Reports;
using PipeChat.LoadTests.Scenarios;
using PipeChat.LoadTests.Sockets;

namespace PipeChat.Tests.LoadTests;

[Collection(LoadTestsSerial.Name)]
public sealed class CompareTests : IDisposable
{
    /// <summary>
    /// A short echo compare of <paramref name="models"/> at <paramref name="connections"/> against
    /// <paramref name="serverCommand"/>: no warm-up, logs in <paramref name="dir"/>, no progress, no
    /// failed request allowed.
    /// </summary>
    internal static CompareOptions ShortEcho(string dir, string serverCommand, string[] models, int[] connections, TimeSpan duration) => new()
    {
        Scenario = "echo",
        Models = models,
        Connections = connections,
        Settings = new ScenarioSettings { Duration = duration, WarmUp = TimeSpan.Zero, OperationTimeout = TimeSpan.FromSeconds(5) },
        ServerCommand = serverCommand,
        RepositoryRoot = dir,
        LogDirectory = Path.Combine(dir, "logs"),
        StopTimeout = TimeSpan.FromSeconds(5),
        SampleInterval = TimeSpan.FromMilliseconds(50),
        Thresholds = [Threshold.Parse("fail rate = 0")],
        RunOptions = new RunOptions { Progress = ProgressMode.Off },
        Log = TextWriter.Null,
    };

    // A stand-in server process: binds port 0, prints the listening line, echoes, dies on SIGTERM.
    internal const string PythonEchoServer = """
        import socket, sys, threading
        model = sys.argv[1]
        s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", 0)); s.listen(128)
        print(f"fake echo ({model}) listening on tcp://127.0.0.1:{s.getsockname()[1]}", flush=True)
        def serve(c):
            while True:
                d = c.recv(65536)
                if not d: break
                c.sendall(d)
        while True:
            c, _ = s.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()
        """;

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "pipechat-compare-" + Guid.NewGuid().ToString("N"));

    public CompareTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("pipechat echo (async) listening on tcp://127.0.0.1:7007", "127.0.0.1:7007", false)]
    [InlineData("listening on tcp://[::1]:5000", "[::1]:5000", false)]
    [InlineData("chat listening on udp://0.0.0.0:9000 now", "127.0.0.1:9000", true)]
    [InlineData("listening on tcp://[::]:9001", "[::1]:9001", false)]
    [InlineData("listening on tcp://localhost:7000", "127.0.0.1:7000", false)]
    public void Listening_lines_give_a_loopback_endpoint(string line, string expected, bool udp)
    {
        var parsed = ServerProcess.ParseListeningLine(line);
        Assert.NotNull(parsed);
        Assert.Equal(IPEndPoint.Parse(expected), parsed.Value.EndPoint);
        Assert.Equal(udp, parsed.Value.Udp);
    }

    [Fact]
    public void Lines_without_an_address_or_with_a_remote_one_are_not_used()
    {
        Assert.Null(ServerProcess.ParseListeningLine("starting up"));
        Assert.Throws<FormatException>(() => ServerProcess.ParseListeningLine("listening on tcp://10.1.2.3:80"));
    }

    [Theory]
    [InlineData("127.0.0.1:7007")]
    [InlineData("127.8.9.1:1")]
    [InlineData("[::1]:7000")]
    [InlineData("localhost:65535")]
    public void Loopback_targets_are_accepted(string text) => Assert.True(IPAddress.IsLoopback(TargetEndpoint.Parse(text).Address));

    [Theory]
    [InlineData("10.0.0.1:7007")]
    [InlineData("192.168.1.5:7007")]
    [InlineData("8.8.8.8:53")]
    [InlineData("example.com:80")]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.1:0")]
    [InlineData("127.0.0.1:70000")]
    public void Other_targets_are_refused(string text) => Assert.Throws<FormatException>(() => TargetEndpoint.Parse(text));

    [Fact]
    public void Proc_status_is_parsed()
    {
        const string status = "Name:\tpipechat\nVmHWM:\t   51234 kB\nVmRSS:\t   48000 kB\nThreads:\t17\n";
        const string stat = "4242 (dotnet (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 17 0 100";
        var s = ProcStatus.Parse(status, stat);
        Assert.Equal(new ProcStatus(48000, 51234, 17, 300), s);
    }

    [Fact]
    public async Task The_sampler_reads_this_process()
    {
        var sampler = new ProcessSampler(Environment.ProcessId, TimeSpan.FromMilliseconds(20));
        await using (sampler)
        {
            await Support.Wait.UntilAsync(() => sampler.Samples >= 3, "three samples");
            var sample = await sampler.StopAsync();
            Assert.True(sample.PeakRssKb > 1000);
            Assert.True(sample.HwmKb >= sample.BaselineRssKb);
            Assert.True(sample.MaxThreads >= 2);
            Assert.True(sample.Samples >= 3);
        }
    }

    [Fact]
    public void Command_templates_are_filled_in()
    {
        Assert.Equal(
            "dotnet /r/src/PipeChat.Cli/bin/Release/net10.0/pipechat.dll echo --udp --model threads --port 0",
            CompareOptions.Expand(CompareOptions.DefaultServerCommand, "/r", ScenarioCatalog.ProtocolOf("udp-echo"), "threads"));
        Assert.Equal("chat", ScenarioCatalog.ProtocolOf("chat"));
    }

    [Fact]
    public async Task Compare_starts_a_server_per_run_samples_it_stops_it_and_reports()
    {
        Assert.True(File.Exists("/usr/bin/python3"), "this test uses python3 as a stand-in server (Debian package python3)");
        string script = Path.Combine(_dir, "fake_echo.py");
        await File.WriteAllTextAsync(script, PythonEchoServer);
        var options = ShortEcho(_dir, $"/usr/bin/python3 -u {script} {{model}}", ["async", "threads"], [1, 4], TimeSpan.FromMilliseconds(700));

        var watch = Stopwatch.StartNew();
        var report = await CompareRunner.RunAsync(options);

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60));
        Assert.Equal(4, report.Rows.Count);
        Assert.Equal(["async", "threads", "async", "threads"], report.Rows.Select(r => r.Model));
        foreach (var row in report.Rows)
        {
            Assert.Null(row.Error);
            Assert.NotNull(row.Stats);
            Assert.True(row.Stats.Ok > 0, $"{row.Model}@{row.Connections}: no requests");
            Assert.Equal(0, row.Stats.Failed);
            Assert.True(row.Server!.PeakRssKb > 1000, "RSS was not sampled");
            Assert.True(row.Server.MaxThreads >= 1);
            Assert.All(row.Thresholds, t => Assert.True(t.Passed, t.Message));
        }

        Assert.Equal(4, Directory.GetFiles(Path.Combine(_dir, "logs")).Length);
        var paths = ReportWriter.WriteCompare(report, _dir);
        ReportTests.AssertSelfContained(File.ReadAllText(paths[2]));
        Assert.DoesNotContain(Process.GetProcesses(), p => SafeCommandLine(p).Contains(script, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Compare_passes_server_args_and_gives_soak_the_servers_pid()
    {
        Assert.True(File.Exists("/usr/bin/python3"), "this test uses python3 as a stand-in server (Debian package python3)");
        string script = Path.Combine(_dir, "fake_echo.py");
        await File.WriteAllTextAsync(script, PythonEchoServer);
        var options = new CompareOptions
        {
            Scenario = "soak",
            Models = ["async"],
            Connections = [4],
            Settings = new ScenarioSettings { Duration = TimeSpan.FromSeconds(1), Rate = 20, RssSampleInterval = TimeSpan.FromMilliseconds(50) },
            ServerCommand = $"/usr/bin/python3 -u {script} {{model}}",
            ServerArgs = "--max-connections 200",
            RepositoryRoot = _dir,
            StopTimeout = TimeSpan.FromSeconds(5),
            RunOptions = new RunOptions { Progress = ProgressMode.Off },
            Log = TextWriter.Null,
        };

        var report = await CompareRunner.RunAsync(options);

        Assert.EndsWith("{model} --max-connections 200", report.ServerCommand, StringComparison.Ordinal);
        Assert.False(report.Settings.ContainsKey("flood limit")); // not a capacity run
        var row = Assert.Single(report.Rows);
        Assert.Null(row.Error);
        Assert.Equal(20, row.Stats!.Ok);
        Assert.True(row.Stats.Series[SoakScenario.RssSeries].Count >= 2, "the server's RSS was sampled");
        Assert.Contains("## Server RSS over time", MarkdownReport.Compare(report), StringComparison.Ordinal);
        Assert.Contains("id=\"chart-rss-time\"", HtmlReport.Compare(report), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Compare_unix_gives_each_server_a_socket_of_its_own_and_loads_it()
    {
        // The real server: `--port {port}` of the command becomes `--unix PATH`, its ready line
        // names the path, and the echo clients connect there.
        string dll = Path.Combine(AppContext.BaseDirectory, "pipechat.dll");
        var options = ShortEcho(_dir, $"dotnet {dll} {{protocol}} --model {{model}} --port {{port}}", ["async", "threads"], [3], TimeSpan.FromMilliseconds(500)) with { UnixSockets = true };

        var report = await CompareRunner.RunAsync(options);

        Assert.Equal(2, report.Rows.Count);
        foreach (var row in report.Rows)
        {
            Assert.Null(row.Error);
            Assert.True(row.Stats!.Ok > 0, $"{row.Model}: no requests");
            Assert.Equal(0, row.Stats.Failed);
            Assert.True(row.Server!.PeakRssKb > 1000, "RSS was not sampled");
            var log = File.ReadAllText(Path.Combine(Path.Combine(_dir, "logs"), $"server-echo-{row.Model}-3.log"));
            Assert.Matches(@"listening on unix:/\S+/" + row.Model + @"-3\.sock", log);
            Assert.DoesNotContain("--port", log.Split('\n')[0], StringComparison.Ordinal);
        }

        Assert.EndsWith("--model {model} --unix {unix}", report.ServerCommand, StringComparison.Ordinal);
        Assert.Contains("Unix", report.Settings["socket"], StringComparison.Ordinal);
    }

    [Fact]
    public void Compare_unix_fills_in_the_socket_path_and_refuses_what_cannot_take_one()
    {
        Assert.Equal("srv --listen /t/a.sock", CompareOptions.WithUnixSocket("srv --listen {unix}", "/t/a.sock"));
        Assert.Equal("pipechat echo --unix /t/a.sock --model async", CompareOptions.WithUnixSocket("pipechat echo --port {port} --model async", "/t/a.sock"));
        var echo = new CompareOptions { Scenario = "echo", Models = ["async"], Connections = [1], Settings = new ScenarioSettings(), RepositoryRoot = _dir, UnixSockets = true };
        Assert.Null(CompareRunner.UnixSocketsProblem(echo));
        Assert.Contains("echo scenario", CompareRunner.UnixSocketsProblem(echo with { Scenario = "chat" }), StringComparison.Ordinal);
        Assert.Contains("--nodes", CompareRunner.UnixSocketsProblem(echo with { Nodes = [1, 2] }), StringComparison.Ordinal);
        Assert.Contains("{unix}", CompareRunner.UnixSocketsProblem(echo with { ServerCommand = "srv --port 7007" }), StringComparison.Ordinal);
        Assert.Equal("/tmp/x/a.sock", ServerProcess.ParseUnixListeningLine("pipechat echo (async, epoll) listening on unix:/tmp/x/a.sock"));
        Assert.Null(ServerProcess.ParseUnixListeningLine("listening on tcp://127.0.0.1:7007"));
    }

    [Fact]
    public async Task A_server_that_never_listens_is_reported_not_waited_for_forever()
    {
        var options = new CompareOptions
        {
            Scenario = "chat",
            Models = ["async", "iterative"],
            Connections = [2],
            Settings = new ScenarioSettings { Duration = TimeSpan.FromMilliseconds(200) },
            ServerCommand = "sleep 30",
            RepositoryRoot = _dir,
            StartTimeout = TimeSpan.FromMilliseconds(500),
            StopTimeout = TimeSpan.FromSeconds(2),
            RunOptions = new RunOptions { Progress = ProgressMode.Off },
            Log = TextWriter.Null,
        };

        var watch = Stopwatch.StartNew();
        var report = await CompareRunner.RunAsync(options);

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15));
        var row = Assert.Single(report.Rows);
        Assert.Equal("async", row.Model);
        Assert.Contains("listening", row.Error, StringComparison.Ordinal);
        Assert.Equal(["async"], report.Models);
    }

    private static string SafeCommandLine(Process p)
    {
        try
        {
            return File.ReadAllText($"/proc/{p.Id}/cmdline").Replace('\0', ' ');
        }
        catch (IOException)
        {
            return string.Empty;
        }
    }
}
