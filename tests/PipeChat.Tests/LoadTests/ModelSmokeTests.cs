using PipeChat.LoadTests.Harness;
using PipeChat.LoadTests.Scenarios;
using PipeChat.Servers;
using PipeChat.Protocols.Chat;
using PipeChat.Tests.Support;

namespace PipeChat.Tests.LoadTests;

/// <summary>
/// A seconds-long smoke of every load scenario against every real PipeChat model (in-process
/// servers on 127.0.0.1 port 0): the harness and the servers must agree, with zero errors.
/// </summary>
[Collection(LoadTestsSerial.Name)]
public class ModelSmokeTests
{
    private static readonly RunOptions Quiet = new() { Progress = ProgressMode.Off, ReportingInterval = TimeSpan.FromMilliseconds(500) };

    private static ScenarioSettings Settings(System.Net.IPEndPoint target, int connections) => new()
    {
        Target = target,
        Connections = connections,
        Duration = TimeSpan.FromSeconds(1),
        WarmUp = TimeSpan.FromMilliseconds(200),
        OperationTimeout = TimeSpan.FromSeconds(10),
    };

    public static TheoryData<ConnectionModel, int> EchoRuns() => new()
    {
        { ConnectionModel.Iterative, 1 },
        { ConnectionModel.Threads, 1 },
        { ConnectionModel.Threads, 20 },
        { ConnectionModel.Async, 1 },
        { ConnectionModel.Async, 20 },
    };

    [Theory]
    [MemberData(nameof(EchoRuns))]
    public async Task Echo_ping_pong(ConnectionModel model, int connections)
    {
        await using var server = TestServers.StartTcp(model);
        var stats = await ScenarioRunner.RunAsync(ScenarioCatalog.Create("echo", Settings(server.LocalEndPoint, connections) with { MessageSize = 64 }), Quiet);
        AssertHealthy(stats);
        Assert.Equal((connections, 0), (stats.Connections, stats.StarvedConnections));
    }

    // Iterative serves one connection until it closes: the others never get a reply, and the
    // report must be able to say so however fast the one served connection is.
    [Fact]
    public async Task Echo_counts_the_connections_an_iterative_server_starves()
    {
        await using var server = TestServers.StartTcp(ConnectionModel.Iterative);
        var stats = await ScenarioRunner.RunAsync(
            ScenarioCatalog.Create("echo", Settings(server.LocalEndPoint, 3) with { MessageSize = 64, OperationTimeout = TimeSpan.FromSeconds(2) }),
            Quiet);

        Assert.True(stats.Ok > 0, "the served connection got no replies");
        Assert.Equal((3, 2), (stats.Connections, stats.StarvedConnections));
    }

    [Theory]
    [MemberData(nameof(TestServers.EchoModels), MemberType = typeof(TestServers))]
    public async Task Echo_open_loop_inject(ConnectionModel model)
    {
        await using var server = TestServers.StartTcp(model);
        var connections = model == ConnectionModel.Iterative ? 1 : 8;
        var stats = await ScenarioRunner.RunAsync(ScenarioCatalog.Create("echo-inject", Settings(server.LocalEndPoint, connections) with { Rate = 300 }), Quiet);
        AssertHealthy(stats);
    }

    [Theory]
    [MemberData(nameof(TestServers.ConcurrentModels), MemberType = typeof(TestServers))]
    public async Task Idle_connection_ramp(ConnectionModel model)
    {
        await using var server = TestServers.StartTcp(model);
        var stats = await ScenarioRunner.RunAsync(
            ScenarioCatalog.Create("conns", Settings(server.LocalEndPoint, 300) with { WarmUp = null, Duration = TimeSpan.FromSeconds(2) }),
            Quiet);
        AssertHealthy(stats);

        // How many connect within the hold depends on the machine's load; that none is lost does not.
        Assert.Equal(0, stats.Metrics["connect_failures"]);
        Assert.Equal(stats.Metrics["established"], stats.Metrics["alive_at_end"]);
        Assert.True(server.Stats.Accepted >= stats.Metrics["established"], "the server accepted every connection the client counts");
    }

    [Theory]
    [InlineData(ConnectionModel.Threads, false)]
    [InlineData(ConnectionModel.Threads, true)]
    [InlineData(ConnectionModel.Async, false)]
    [InlineData(ConnectionModel.Async, true)]
    public async Task Chat_fan_out(ConnectionModel model, bool stalledMember)
    {
        using var protocol = new ChatProtocol(new ChatLimits());
        await using var server = TestServers.StartTcp(model, protocol);
        var stats = await ScenarioRunner.RunAsync(
            ScenarioCatalog.Create("chat", Settings(server.LocalEndPoint, 10) with { Publishers = 2, Rate = 200, StalledMember = stalledMember }),
            Quiet);
        AssertHealthy(stats);
        Assert.Equal((10, 0), (stats.Connections, stats.StarvedConnections));
        Assert.Equal(0, stats.Metrics["lost"]);
        Assert.Equal(0, stats.Metrics["out_of_order"]);
    }

    [Theory]
    [MemberData(nameof(TestServers.ConcurrentModels), MemberType = typeof(TestServers))]
    public async Task Chat_fan_out_as_fast_as_possible_paced_by_a_window(ConnectionModel model)
    {
        using var protocol = new ChatProtocol(new ChatLimits { MaxLineRate = 0 });
        await using var server = TestServers.StartTcp(model, protocol);
        var ep = server.LocalEndPoint;
        var stats = await ScenarioRunner.RunAsync(
            ScenarioCatalog.Create("chat", Settings(ep, 10) with { Publishers = 1, Window = 4, Targets = [ep, ep] }),
            Quiet);
        AssertHealthy(stats);
        Assert.Equal(0, stats.Metrics["lost"]);
        Assert.Equal(0, stats.Metrics["out_of_order"]);
        Assert.True(stats.Metrics["published"] > 4, "the publisher went past its first window");
    }

    [Theory]
    [MemberData(nameof(TestServers.EchoModels), MemberType = typeof(TestServers))]
    public async Task Udp_echo(ConnectionModel model)
    {
        await using var server = TestServers.StartUdp(model);
        var stats = await ScenarioRunner.RunAsync(ScenarioCatalog.Create("udp-echo", Settings(server.LocalEndPoint, 4)), Quiet);
        AssertHealthy(stats);
    }

    private static void AssertHealthy(ScenarioStats stats)
    {
        Assert.True(stats.Failed == 0, "failures: " + string.Join(", ", stats.Errors.Select(e => $"{e.Key}={e.Value}")));
        Assert.True(stats.Ok > 0, "no successful requests");
    }
}
