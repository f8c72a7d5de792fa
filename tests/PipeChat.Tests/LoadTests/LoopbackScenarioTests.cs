using PipeChat.LoadTests.Harness;
using PipeChat.LoadTests.Scenarios;

namespace PipeChat.Tests.LoadTests;

/// <summary>Each scenario for about a second against a tiny in-test server on 127.0.0.1.</summary>
[Collection(LoadTestsSerial.Name)]
public class LoopbackScenarioTests
{
    private static readonly RunOptions Quiet = new() { Progress = ProgressMode.Off, ReportingInterval = TimeSpan.FromMilliseconds(500) };

    private static ScenarioSettings Settings(System.Net.IPEndPoint target, int connections) => new()
    {
        Target = target,
        Connections = connections,
        Duration = TimeSpan.FromSeconds(1),
        WarmUp = TimeSpan.FromMilliseconds(200),
        OperationTimeout = TimeSpan.FromSeconds(5),
    };

    [Theory]
    [InlineData(1, 64, 1)]
    [InlineData(8, 64, 4)]
    [InlineData(4, 3000, 2)]
    public async Task Echo_ping_pong_has_no_failures(int connections, int size, int depth)
    {
        await using var server = new LoopbackEchoServer();
        var stats = await ScenarioRunner.RunAsync(
            ScenarioCatalog.Create("echo", Settings(server.EndPoint, connections) with { MessageSize = size, PipelineDepth = depth }),
            Quiet);

        AssertHealthy(stats);
        // bytes are counted as they arrive and messages as they complete; the two counters were reset
        // separately at the end of the warm-up, so allow for the messages in flight at that moment
        long inFlight = connections * depth;
        Assert.True(stats.BytesIn >= (stats.Ok - inFlight) * size, $"bytes in {stats.BytesIn} for {stats.Ok} messages of {size}");
        Assert.Equal(0, stats.Metrics["init_connect_failures"]);
    }

    [Fact]
    public async Task Echo_inject_runs_open_loop_at_the_rate()
    {
        await using var server = new LoopbackEchoServer();
        var stats = await ScenarioRunner.RunAsync(
            ScenarioCatalog.Create("echo-inject", Settings(server.EndPoint, 8) with { Rate = 400 }),
            Quiet);

        AssertHealthy(stats);
        Assert.InRange(stats.Ok, 399, 401); // 400 due after the warm-up, each measured by when it was due
    }

    [Fact]
    public async Task Conns_establishes_confirms_holds_and_rechecks_every_connection()
    {
        await using var server = new LoopbackEchoServer();
        var stats = await ScenarioRunner.RunAsync(
            ScenarioCatalog.Create("conns", Settings(server.EndPoint, 200) with { WarmUp = null }),
            Quiet);

        AssertHealthy(stats);
        Assert.Equal(200, stats.Ok);
        Assert.Equal(200, stats.Metrics["established"]);
        Assert.Equal(200, stats.Metrics["alive_at_end"]);
        Assert.Equal(0, stats.Metrics["connect_failures"]);
        Assert.True(stats.Metrics["time_to_establish_ms"] > 0);
    }

    [Fact]
    public async Task Chat_fan_out_delivers_every_line_in_order()
    {
        await using var server = new FakeChatServer();
        var stats = await ScenarioRunner.RunAsync(
            ScenarioCatalog.Create("chat", Settings(server.EndPoint, 12) with { Publishers = 3, Rate = 50 }),
            Quiet);

        AssertHealthy(stats);
        Assert.Equal(0, stats.Metrics["lost"]);
        Assert.Equal(0, stats.Metrics["out_of_order"]);
        Assert.Equal(stats.Metrics["expected_deliveries"], stats.Metrics["delivered"]);
        Assert.Equal(stats.Metrics["published"] * 11, stats.Metrics["delivered"]);
        Assert.InRange(stats.Metrics["published"], 150, 181);
    }

    [Fact]
    public async Task Chat_with_a_stalled_member_still_delivers_to_the_others()
    {
        await using var server = new FakeChatServer();
        var stats = await ScenarioRunner.RunAsync(
            ScenarioCatalog.Create("chat", Settings(server.EndPoint, 5) with { Publishers = 2, Rate = 100, MessageSize = 200, StalledMember = true }),
            Quiet);

        AssertHealthy(stats);
        Assert.Equal(1, stats.Metrics["stalled_member"]);
        Assert.Equal(0, stats.Metrics["lost"]);
    }

    [Fact]
    public async Task Udp_echo_has_no_failures()
    {
        await using var server = new LoopbackUdpEchoServer();
        var stats = await ScenarioRunner.RunAsync(
            ScenarioCatalog.Create("udp-echo", Settings(server.EndPoint, 4) with { MessageSize = 512, OperationTimeout = TimeSpan.FromSeconds(1) }),
            Quiet);

        AssertHealthy(stats);
    }

    [Fact]
    public async Task Udp_datagrams_without_a_reply_time_out_as_failures()
    {
        // a bound socket that never answers
        using var silent = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
        silent.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        var stats = await ScenarioRunner.RunAsync(
            ScenarioCatalog.Create("udp-echo", Settings((System.Net.IPEndPoint)silent.LocalEndPoint!, 2) with { WarmUp = TimeSpan.Zero, OperationTimeout = TimeSpan.FromMilliseconds(200) }),
            Quiet);

        Assert.Equal(0, stats.Ok);
        Assert.InRange(stats.Failed, 2, 12);
        Assert.Equal(stats.Failed, stats.Errors[FailureReason.Timeout]);
    }

    [Fact]
    public async Task Echo_against_a_closed_port_fails_fast_with_a_clear_error()
    {
        System.Net.IPEndPoint closed;
        using (var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            probe.Start();
            closed = (System.Net.IPEndPoint)probe.LocalEndpoint;
        }

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => ScenarioRunner.RunAsync(ScenarioCatalog.Create("echo", Settings(closed, 3)), Quiet));
        Assert.Contains("cannot connect", ex.Message, StringComparison.Ordinal);
    }

    private static void AssertHealthy(ScenarioStats stats)
    {
        Assert.True(stats.Failed == 0, "failures: " + string.Join(", ", stats.Errors.Select(e => $"{e.Key}={e.Value}")));
        Assert.True(stats.Ok > 0, "no successful requests");
        Assert.True(stats.Rps > 0, "rps is 0");
        Assert.True(stats.Latency.P99Us > 0, "p99 is 0");
        Assert.NotEmpty(stats.Intervals);
    }
}
