using PipeChat.Tests.Support;

namespace PipeChat.Tests.Cluster;

/// <summary>
/// In-process chat nodes over this class's own nats-server (docs/cluster.md): delivery and order, names,
/// presence, graceful stop, separate clusters. Each test uses a cluster name of its own.
/// </summary>
public sealed class ClusterNatsTests(NatsServer nats) : IClassFixture<NatsServer>
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(10);

    [NatsFact]
    public async Task Lines_reach_every_node_once_in_the_order_sent()
    {
        var cluster = NewCluster();
        await using var a = await ClusterNode.StartAsync(ClusterNode.Settings(nats.Url, cluster));
        await using var b = await ClusterNode.StartAsync(ClusterNode.Settings(nats.Url, cluster));
        var (sender, _) = a.Connect();
        var (_, local) = a.Connect();
        var (_, remote1) = b.Connect();
        var (_, remote2) = b.Connect();

        const int count = 300;
        for (int i = 0; i < count; i++)
        {
            a.Say(sender, $"line {i}");
        }

        string[] expected = [.. Enumerable.Range(0, count).Select(i => $"<{sender.Name}> line {i}")];
        foreach (var sink in new[] { local, remote1, remote2 })
        {
            await Wait.UntilAsync(() => sink.Lines.Count(l => l.StartsWith('<')) == count, "every line", Soon);
            Assert.Equal(expected, sink.Lines.Where(l => l.StartsWith('<')));
        }

        // Once per node: published once by A, taken in once by B however many members B has.
        Assert.Equal(count, a.Bridge.Stats.LinesOut);
        Assert.Equal(count, b.Bridge.Stats.LinesIn);
        Assert.Equal(0, b.Bridge.Stats.Gaps);
    }

    [NatsFact]
    public async Task Names_are_unique_across_nodes_ignoring_case_and_freed_when_their_member_goes()
    {
        var cluster = NewCluster();
        await using var a = await ClusterNode.StartAsync(ClusterNode.Settings(nats.Url, cluster));
        await using var b = await ClusterNode.StartAsync(ClusterNode.Settings(nats.Url, cluster));
        await using var c = await ClusterNode.StartAsync(ClusterNode.Settings(nats.Url, cluster));

        var connects = new[] { a, b, c }.SelectMany(node => Enumerable.Range(0, 12).Select(_ => Task.Run(() => node.Connect().Member.Name)));
        var names = await Task.WhenAll(connects);
        Assert.Equal(names.Length, names.Distinct(StringComparer.OrdinalIgnoreCase).Count());

        var (alice, aliceSink) = a.Connect();
        a.Say(alice, "/nick alice");
        await Wait.UntilAsync(() => aliceSink.Lines.Contains("* you are now alice"), "alice named", Soon);

        var (other, otherSink) = b.Connect();
        b.Say(other, "/nick ALICE");
        await Wait.UntilAsync(() => otherSink.Lines.Contains("! name ALICE is taken"), "ALICE refused on another node", Soon);

        a.Hub.Disconnect(alice);
        await Wait.UntilAsync(
            () =>
            {
                if (otherSink.Lines.Contains("* you are now Alice"))
                {
                    return true;
                }

                if (otherSink.Lines.Count(l => l == "! name Alice is taken") < 50 && !other.ClaimPending)
                {
                    b.Say(other, "/nick Alice");
                }

                return false;
            },
            "the name free again once alice left",
            Soon);
    }

    [NatsFact]
    public async Task Members_beyond_the_claimed_name_pool_wait_for_claims_and_still_get_unique_names()
    {
        var cluster = NewCluster();
        var settings = ClusterNode.Settings(nats.Url, cluster) with { NamePool = 2 };
        await using var a = await ClusterNode.StartAsync(settings);
        await using var b = await ClusterNode.StartAsync(settings);

        var connects = new[] { a, b }.SelectMany(node => Enumerable.Range(0, 20).Select(async _ => (await node.ConnectAsync()).Name));
        var names = await Task.WhenAll(connects);
        Assert.Equal(names.Length, names.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.All(names, name => Assert.StartsWith("user", name, StringComparison.Ordinal));
    }

    [NatsFact]
    public async Task A_member_numbered_locally_after_the_claim_wait_is_counted()
    {
        var settings = ClusterNode.Settings(nats.Url, NewCluster()) with { NamePool = 1, ClaimWait = TimeSpan.Zero };
        await using var a = await ClusterNode.StartAsync(settings);

        // The pool holds one name and refills over the network: the next connects, microseconds later, find it empty.
        var names = Enumerable.Range(0, 10).Select(_ => a.Connect().Member.Name).ToArray();
        Assert.Equal(names.Length, names.Distinct().Count());
        Assert.InRange(a.Bridge.Stats.NamesNumberedLocally, 1, 9);
    }

    [NatsFact]
    public async Task Who_and_rooms_show_every_node()
    {
        var cluster = NewCluster();
        await using var a = await ClusterNode.StartAsync(ClusterNode.Settings(nats.Url, cluster));
        await using var b = await ClusterNode.StartAsync(ClusterNode.Settings(nats.Url, cluster));
        await using var c = await ClusterNode.StartAsync(ClusterNode.Settings(nats.Url, cluster));
        var (asker, sink) = a.Connect();
        var (onB, _) = b.Connect();
        var (onC, _) = c.Connect();
        c.Say(onC, "/join dev");
        var names = string.Join(' ', new[] { asker.Name, onB.Name }.Order(StringComparer.OrdinalIgnoreCase));

        await Wait.UntilAsync(
            () =>
            {
                sink.Take();
                a.Say(asker, "/who");
                a.Say(asker, "/rooms");
                var lines = sink.Lines;
                return lines.Contains($"* in lobby: {names}") && lines.Contains("* rooms: dev(1) lobby(2)");
            },
            "/who and /rooms across three nodes",
            Soon);
    }

    [NatsFact]
    public async Task A_node_that_stops_gracefully_has_its_members_announced_as_left_at_once()
    {
        var cluster = NewCluster();
        var slow = ClusterNode.Settings(nats.Url, cluster) with { DeadAfter = TimeSpan.FromSeconds(60) };
        await using var a = await ClusterNode.StartAsync(slow);
        var b = await ClusterNode.StartAsync(slow);
        var (_, watcher) = a.Connect();
        var (leaving, _) = b.Connect();
        await Wait.UntilAsync(() => watcher.Lines.Contains($"* {leaving.Name} joined"), "the join", Soon);

        var stopped = DateTime.UtcNow;
        await b.DisposeAsync();

        // Far sooner than the (60 s) dead-node timeout: the goodbye did it.
        await Wait.UntilAsync(() => watcher.Lines.Contains($"* {leaving.Name} left"), "left on the other node", TimeSpan.FromSeconds(5));
        Assert.True(DateTime.UtcNow - stopped < TimeSpan.FromSeconds(5));
    }

    [NatsFact]
    public async Task Two_clusters_on_one_nats_server_do_not_see_each_other()
    {
        await using var a = await ClusterNode.StartAsync(ClusterNode.Settings(nats.Url, NewCluster()));
        await using var b = await ClusterNode.StartAsync(ClusterNode.Settings(nats.Url, NewCluster()));
        var (talker, _) = a.Connect();
        var (_, other) = b.Connect();
        var (alice, aliceSink) = a.Connect();
        a.Say(alice, "/nick alice");
        var (alice2, alice2Sink) = b.Connect();
        b.Say(alice2, "/nick alice");
        a.Say(talker, "hello?");

        await Wait.UntilAsync(() => aliceSink.Lines.Contains("* you are now alice") && alice2Sink.Lines.Contains("* you are now alice"), "alice in both clusters", Soon);
        await Task.Delay(500); // nothing may arrive: give a stray line the time to show up
        Assert.DoesNotContain(other.Lines, l => l.Contains("hello?", StringComparison.Ordinal));
        Assert.Equal(0, b.Hub.RemoteMemberCount);
        Assert.Equal(0, a.Hub.RemoteMemberCount);
    }

    private static string NewCluster() => "t" + Guid.NewGuid().ToString("N")[..12];
}
