using System.Net;
using PipeChat.LoadTests.Harness;
using PipeChat.LoadTests.Reports;
using PipeChat.LoadTests.Scenarios;
using PipeChat.Servers;
using PipeChat.Protocols.Chat;
using PipeChat.Tests.Support;

namespace PipeChat.Tests.LoadTests;

/// <summary>flood, slowloris, storm and soak for a second or two against in-test servers on 127.0.0.1.</summary>
[Collection(LoadTestsSerial.Name)]
public class HostileScenarioTests
{
    private static readonly RunOptions Quiet = new() { Progress = ProgressMode.Off, ReportingInterval = TimeSpan.FromMilliseconds(500) };

    private static ScenarioSettings Settings(System.Net.IPEndPoint target, int connections) => new()
    {
        Target = target,
        Connections = connections,
        Duration = TimeSpan.FromSeconds(1),
        OperationTimeout = TimeSpan.FromSeconds(5),
    };

    [Theory]
    [InlineData(ConnectionModel.Async, "lines")]
    [InlineData(ConnectionModel.Threads, "lines")]
    public async Task A_flood_on_a_server_without_a_line_rate_gets_prompt_readers_cut_and_breaks_the_threshold(ConnectionModel model, string kind)
    {
        // no flood limit and a tiny output queue: the flooder's lines pile up for every reader
        using var protocol = new ChatProtocol(new ChatLimits { MaxPendingOutput = 4096 });
        await using var server = TestServers.StartTcp(model, protocol);
        var scenario = ScenarioCatalog.Create("flood", Settings(server.LocalEndPoint, 5) with { FloodKind = kind });
        var stats = await ScenarioRunner.RunAsync(scenario, Quiet);

        Assert.Equal(5, stats.Metrics["readers"]);
        Assert.True(stats.Metrics["readers_cut"] > 0, $"readers cut {stats.Metrics["readers_cut"]}");
        Assert.True(stats.Metrics["flood_lines_sent"] > 0);
        Assert.True(stats.Metrics["flood_lines_per_s"] > 0);
        var threshold = Assert.Single(scenario.Thresholds);
        Assert.False(threshold.Evaluate(stats).Passed);
    }

    [Fact]
    public async Task A_nick_flood_sends_nick_commands_and_readers_see_the_notices()
    {
        // each /nick is one notice per reader, which prompt readers may or may not keep up with: only counts here
        using var protocol = new ChatProtocol(new ChatLimits());
        await using var server = TestServers.StartTcp(ConnectionModel.Async, protocol);
        var stats = await ScenarioRunner.RunAsync(ScenarioCatalog.Create("flood", Settings(server.LocalEndPoint, 3) with { FloodKind = "nick" }), Quiet);

        Assert.True(stats.Metrics["flood_lines_sent"] > 0);
        Assert.True(stats.Metrics["readers_cut"] > 0 || stats.Metrics["flood_received_per_reader_min"] > 0, "notices of the flooder's renames reached the readers");
    }

    [Fact]
    public async Task Flood_readers_that_are_not_cut_see_each_others_lines()
    {
        // a server that queues without bound cuts nobody: the threshold holds and the readers' lines arrive
        await using var server = new FakeChatServer();
        var scenario = ScenarioCatalog.Create("flood", Settings(server.EndPoint, 3) with { Duration = TimeSpan.FromMilliseconds(600), FloodKind = "nick" });
        var stats = await ScenarioRunner.RunAsync(scenario, Quiet);

        Assert.Equal(0, stats.Metrics["readers_cut"]);
        Assert.True(Assert.Single(scenario.Thresholds).Evaluate(stats).Passed);
        Assert.True(stats.Ok >= 2, $"deliveries of readers' lines: {stats.Ok}");
        Assert.True(stats.Metrics["reader_line_delay_max_ms"] > 0);
        Assert.True(stats.Metrics["flood_received_per_reader_min"] > 0);
    }

    [Fact]
    public async Task Slowloris_counts_the_legitimate_clients_visits_while_connections_trickle()
    {
        await using var server = new LoopbackEchoServer();
        var stats = await ScenarioRunner.RunAsync(
            ScenarioCatalog.Create("slowloris", Settings(server.EndPoint, 20) with { Rate = 10, TrickleInterval = TimeSpan.FromMilliseconds(100) }),
            Quiet);

        Assert.Equal(10, stats.Ok); // 10 visits/s for 1 s
        Assert.Equal(0, stats.Failed);
        Assert.Equal(100, stats.Metrics["legit_success_pct"]);
        Assert.Equal(20, stats.Metrics["held_connected"]);
        Assert.True(stats.Metrics["held_bytes_trickled"] >= 20);
        Assert.Equal(0, stats.Metrics["held_closed_by_server"]);
    }

    [Theory]
    [MemberData(nameof(TestServers.ConcurrentModels), MemberType = typeof(TestServers))]
    public async Task Slowloris_holding_every_slot_leaves_the_legitimate_client_nothing(ConnectionModel model)
    {
        // what docs/protocols.md: line timeout is for: today nothing frees a slot held by a trickling connection
        await using var server = TestServers.StartTcp(model, maxConnections: 10);
        var stats = await ScenarioRunner.RunAsync(ScenarioCatalog.Create("slowloris", Settings(server.LocalEndPoint, 10) with { Rate = 5 }), Quiet);

        Assert.Equal(10, stats.Metrics["held_connected"]);
        Assert.Equal(5, stats.Failed);
        Assert.Equal(0, stats.Metrics["legit_success_pct"]);
    }

    [Theory]
    [MemberData(nameof(TestServers.ConcurrentModels), MemberType = typeof(TestServers))]
    public async Task Slowloris_from_one_address_leaves_room_for_others_under_a_per_ip_cap(ConnectionModel model)
    {
        // The held connections come from 127.0.0.2, the legitimate client from 127.0.0.1: with at
        // most 5 per address, the attacker never holds more than half the slots.
        await using var server = TestServers.StartTcp(new TcpModel(model), maxConnections: 10, maxConnectionsPerIp: 5);
        var settings = Settings(server.LocalEndPoint, 10) with { Rate = 5, HeldFrom = IPAddress.Parse("127.0.0.2") };
        var stats = await ScenarioRunner.RunAsync(ScenarioCatalog.Create("slowloris", settings), Quiet);

        Assert.Equal(5, stats.Ok);
        Assert.Equal(0, stats.Failed);
        Assert.Equal(100, stats.Metrics["legit_success_pct"]);
        Assert.True(stats.Metrics["held_closed_by_server"] > 0, "the attacker's connections over the cap were closed");
    }

    [Fact]
    public async Task Slowloris_and_storm_speak_chat()
    {
        using var protocol = new ChatProtocol(new ChatLimits());
        await using var server = TestServers.StartTcp(ConnectionModel.Async, protocol);
        var slow = await ScenarioRunner.RunAsync(
            ScenarioCatalog.Create("slowloris", Settings(server.LocalEndPoint, 10) with { Protocol = "chat", Rate = 5 }),
            Quiet);
        Assert.Equal(5, slow.Ok);
        Assert.Equal(100, slow.Metrics["legit_success_pct"]);

        var storm = await ScenarioRunner.RunAsync(ScenarioCatalog.Create("storm", Settings(server.LocalEndPoint, 20) with { Protocol = "chat" }), Quiet);
        Assert.Equal(20, storm.Ok);
        Assert.Equal(0, storm.Failed);
    }

    [Fact]
    public async Task Storm_sends_every_client_once_per_wave_and_measures_connects()
    {
        await using var server = new LoopbackEchoServer();
        var stats = await ScenarioRunner.RunAsync(
            ScenarioCatalog.Create("storm", Settings(server.EndPoint, 50) with { Duration = TimeSpan.FromMilliseconds(1500) }),
            Quiet);

        Assert.Equal(2, stats.Metrics["waves"]);
        Assert.Equal(100, stats.Ok);
        Assert.Equal(0, stats.Failed);
        Assert.Equal(100, stats.Metrics["success_pct"]);
        Assert.True(stats.Metrics["connect_p50_ms"] > 0);
        Assert.True(stats.Metrics["connect_max_ms"] >= stats.Metrics["connect_p99_ms"]);
        Assert.Equal(0, stats.Metrics["refused"] + stats.Metrics["reset"] + stats.Metrics["timeouts"]);
    }

    [Fact]
    public async Task Storm_counts_refused_connects()
    {
        int port;
        using (var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            l.Start();
            port = ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
        }

        var stats = await ScenarioRunner.RunAsync(
            ScenarioCatalog.Create("storm", Settings(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port), 5)),
            Quiet);
        Assert.Equal(5, stats.Failed);
        Assert.Equal(5, stats.Metrics["refused"]);
        Assert.Equal(0, stats.Metrics["success_pct"]);
    }

    [Fact]
    public async Task Soak_churns_connections_and_samples_the_servers_RSS_when_it_knows_the_pid()
    {
        await using var server = new LoopbackEchoServer();
        var settings = Settings(server.EndPoint, 8) with { Rate = 40, ServerPid = Environment.ProcessId, RssSampleInterval = TimeSpan.FromMilliseconds(50) };
        var stats = await ScenarioRunner.RunAsync(ScenarioCatalog.Create("soak", settings), Quiet);

        Assert.Equal(40, stats.Ok);
        Assert.Equal(0, stats.Failed);
        var rss = stats.Series[SoakScenario.RssSeries];
        Assert.True(rss.Count >= 2, $"{rss.Count} RSS samples"); // ~20 on an idle machine; timers run late on a busy one
        Assert.All(rss, p => Assert.True(p.Value > 1, "RSS in MiB"));
        Assert.Equal(rss.Count, stats.Metrics["rss_samples"]);
        Assert.Equal(rss.Count >= 4, stats.Metrics.ContainsKey("rss_flat"));

        var md = MarkdownReport.Run(new RunReport(stats, [], DateTimeOffset.UtcNow));
        Assert.Contains("## Server RSS over time", md, StringComparison.Ordinal);
        var html = HtmlReport.Run(new RunReport(stats, [], DateTimeOffset.UtcNow));
        Assert.Contains("id=\"chart-server-rss-mib\"", html, StringComparison.Ordinal);
        ReportTests.AssertSelfContained(html);
    }

    [Fact]
    public async Task Soak_without_a_pid_says_RSS_was_not_sampled()
    {
        await using var server = new LoopbackEchoServer();
        var stats = await ScenarioRunner.RunAsync(
            ScenarioCatalog.Create("soak", Settings(server.EndPoint, 4) with { Rate = 20, Duration = TimeSpan.FromMilliseconds(500) }),
            Quiet);

        Assert.Equal(10, stats.Ok);
        Assert.Empty(stats.Series);
        Assert.False(stats.Metrics.ContainsKey("rss_flat"));
        Assert.StartsWith("not sampled", stats.Settings["server RSS"], StringComparison.Ordinal);
    }

    [Fact]
    public void Rss_is_flat_when_the_second_half_does_not_grow()
    {
        // settles in the first half (+20 MiB), then noise only
        var settling = Enumerable.Range(0, 40).Select(i => new SeriesPoint(i, i < 10 ? 50 + (2 * i) : 70 + ((i % 3) * 0.3))).ToArray();
        var verdict = RssTrend.Of(settling)!;
        Assert.True(verdict.Flat, $"growth {verdict.SecondHalfGrowthMiB}");
        Assert.Equal(50, verdict.FirstMiB);
        Assert.True(verdict.FirstHalfSlopeMiBPerMin > verdict.SecondHalfSlopeMiBPerMin);

        // a leak: 0.5 MiB per second throughout
        var leak = Enumerable.Range(0, 40).Select(i => new SeriesPoint(i, 50 + (0.5 * i))).ToArray();
        var leaking = RssTrend.Of(leak)!;
        Assert.False(leaking.Flat);
        Assert.Equal(30, leaking.SecondHalfSlopeMiBPerMin, 6);

        Assert.Null(RssTrend.Of([new(0, 1), new(1, 1), new(2, 1)]));
    }

    [Fact]
    public void Protocols_follow_the_scenario_and_the_protocol_setting()
    {
        var chat = new ScenarioSettings { Protocol = "chat" };
        Assert.Equal("chat", ScenarioCatalog.ProtocolOf("flood"));
        Assert.Equal("echo", ScenarioCatalog.ProtocolOf("storm"));
        Assert.Equal("chat", ScenarioCatalog.ProtocolOf("storm", chat));
        Assert.Equal("chat", ScenarioCatalog.ProtocolOf("soak", chat));
        Assert.Equal("chat", ScenarioCatalog.ProtocolOf("slowloris", chat));
        Assert.Equal("echo", ScenarioCatalog.ProtocolOf("echo", chat));
        Assert.Equal(ChatScenario.DefaultPort, ScenarioCatalog.DefaultPortOf("storm", chat));
    }
}
