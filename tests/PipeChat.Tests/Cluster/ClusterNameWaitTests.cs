using PipeChat.Protocols.Chat;
using PipeChat.Tests.Chat;
using PipeChat.Tests.Support;

namespace PipeChat.Tests.Cluster;

/// <summary>
/// A member whose cluster-wide name is not at hand yet (the NATS name pool is empty) waits without holding
/// anyone else up: the hub never blocks, the server goes on accepting and serving, and the member joins when
/// the bridge wakes it.
/// </summary>
public sealed class ClusterNameWaitTests
{
    private readonly ChatMessagePool _pool = new();
    private readonly FakeCluster _cluster = new();

    [Fact]
    public void The_hub_does_not_block_while_a_name_is_claimed_and_the_member_joins_when_woken()
    {
        var hub = _cluster.AddNode(_pool);
        var bridge = _cluster.BridgeOf(hub);
        bridge.WithholdNames = true;
        using var sink = new RecordingSink();

        Assert.Null(hub.TryConnect(sink));
        Assert.Equal(0, hub.MemberCount);
        Assert.Equal([sink], bridge.Waiters);

        bridge.GiveNames();
        Assert.Equal(1, sink.Wakes);
        var member = hub.TryConnect(sink);
        Assert.NotNull(member);
        Assert.Equal("user11", member.Name);
        Assert.True(_cluster.IsClaimed("user11"));
    }

    [Fact]
    public void Connect_never_waits_it_numbers_locally_when_no_name_is_at_hand()
    {
        var hub = _cluster.AddNode(_pool);
        _cluster.BridgeOf(hub).WithholdNames = true;
        using var sink = new RecordingSink();

        var member = hub.Connect(sink);
        Assert.Equal("user11", member.Name);
        Assert.Empty(_cluster.BridgeOf(hub).Waiters);
    }

    [Theory]
    [MemberData(nameof(TestServers.TcpConcurrentModels), MemberType = typeof(TestServers))]
    public async Task A_member_waiting_for_its_name_holds_up_no_one_and_its_early_line_goes_out_once_it_joins(TcpModel model)
    {
        var hub = _cluster.AddNode(_pool);
        var bridge = _cluster.BridgeOf(hub);
        using var protocol = new ChatProtocol(new ChatLimits(), hub);
        await using var server = TestServers.StartTcp(model, protocol);
        bridge.WithholdNames = true;

        using var early = await ChatTestClient.ConnectAsync(server.LocalEndPoint);
        await early.SendLineAsync("sent before joining");
        var gone = await ChatTestClient.ConnectAsync(server.LocalEndPoint);
        await Wait.UntilAsync(() => Waiters(bridge) == 2, "both connections waiting for a name");
        gone.Dispose();
        await Wait.UntilAsync(() => server.Stats.Active == 1, "the one that left is closed");

        // Others are accepted and served while those two wait.
        bridge.WithholdNames = false;
        using var other = await ChatTestClient.JoinAsync(server.LocalEndPoint);
        Assert.Null(await early.TryReadLineAsync(TimeSpan.FromMilliseconds(50)));

        bridge.GiveNames();
        var welcome = await early.ReadLineAsync();
        Assert.StartsWith("* welcome user1", welcome, StringComparison.Ordinal);
        var name = welcome["* welcome ".Length..];
        await other.ExpectAsync($"* {name} joined");
        await other.ExpectAsync($"<{name}> sent before joining");

        // The connection that left while waiting never became a member.
        Assert.Equal(2, hub.MemberCount);
    }

    private static int Waiters(FakeBridge bridge)
    {
        lock (bridge.Waiters)
        {
            return bridge.Waiters.Distinct().Count();
        }
    }
}
