using PipeChat.Tests.Support;

namespace PipeChat.Tests.Cluster;

/// <summary>The NATS server goes away and comes back (docs/cluster.md, "outage"); a server of this class's own.</summary>
public sealed class ClusterOutageTests(NatsServer nats) : IClassFixture<NatsServer>
{
    [NatsFact]
    public async Task Nodes_keep_serving_their_own_members_through_an_outage_and_rejoin_by_themselves()
    {
        var settings = ClusterNode.Settings(nats.Url, "outage");
        await using var a = await ClusterNode.StartAsync(settings);
        await using var b = await ClusterNode.StartAsync(settings);
        var (talker, talkerSink) = a.Connect();
        var (neighbour, neighbourSink) = a.Connect();
        var (remote, remoteSink) = b.Connect();
        var everyone = string.Join(' ', new[] { talker.Name, neighbour.Name, remote.Name }.Order(StringComparer.OrdinalIgnoreCase));
        await WhoShowsAsync(a, talker, talkerSink, everyone);

        nats.Kill();
        await Wait.UntilAsync(() => new[] { talkerSink, neighbourSink, remoteSink }.All(s => s.Lines.Contains("* cluster unavailable")), "* cluster unavailable", TimeSpan.FromSeconds(10));
        Assert.Equal(0, a.Bridge.Stats.Linked ? 1 : 0);
        long droppedBefore = a.Bridge.Stats.LinesDropped;
        a.Say(talker, "during the outage");
        await Wait.UntilAsync(() => neighbourSink.Lines.Contains($"<{talker.Name}> during the outage"), "the line on its own node", TimeSpan.FromSeconds(5));
        Assert.Equal(droppedBefore + 1, a.Bridge.Stats.LinesDropped);

        nats.Restart();
        await Wait.UntilAsync(() => new[] { talkerSink, neighbourSink, remoteSink }.All(s => s.Lines.Contains("* cluster restored")), "* cluster restored", TimeSpan.FromSeconds(15));
        await WhoShowsAsync(a, talker, talkerSink, everyone);
        a.Say(talker, "after the outage");
        await Wait.UntilAsync(() => remoteSink.Lines.Contains($"<{talker.Name}> after the outage"), "lines cross again", TimeSpan.FromSeconds(5));

        // Told once each, and the outage's line never reached the other node.
        Assert.Single(remoteSink.Lines, l => l == "* cluster unavailable");
        Assert.Single(remoteSink.Lines, l => l == "* cluster restored");
        Assert.DoesNotContain($"<{talker.Name}> during the outage", remoteSink.Lines);
    }

    [NatsFact]
    public async Task A_name_given_on_two_nodes_during_an_outage_stays_with_one_and_the_other_member_is_renamed()
    {
        var settings = ClusterNode.Settings(nats.Url, "outage-names");
        await using var a = await ClusterNode.StartAsync(settings);
        await using var b = await ClusterNode.StartAsync(settings);
        var (onA, sinkA) = a.Connect();
        var (onB, sinkB) = b.Connect();

        nats.Kill();
        await Wait.UntilAsync(() => new[] { sinkA, sinkB }.All(s => s.Lines.Contains("* cluster unavailable")), "* cluster unavailable", TimeSpan.FromSeconds(10));
        a.Say(onA, "/nick twin");
        b.Say(onB, "/nick twin");
        await Wait.UntilAsync(() => onA.Name == "twin" && onB.Name == "twin", "both named twin, each on its own node", TimeSpan.FromSeconds(5));

        nats.Restart();
        await Wait.UntilAsync(() => onA.Name != onB.Name, "the names unique again", TimeSpan.FromSeconds(15));
        var (kept, renamed, renamedSink) = onA.Name == "twin" ? (onA, onB, sinkB) : (onB, onA, sinkA);
        Assert.Equal("twin", kept.Name);
        Assert.StartsWith("user", renamed.Name, StringComparison.Ordinal);
        await Wait.UntilAsync(() => renamedSink.Lines.Contains($"* you are now {renamed.Name}"), "the renamed member told", TimeSpan.FromSeconds(5));
        Assert.Contains("* name twin is held on another node", renamedSink.Lines);
        Assert.Equal(1, a.Bridge.Stats.NameConflicts + b.Bridge.Stats.NameConflicts);
    }

    private static Task WhoShowsAsync(ClusterNode node, PipeChat.Protocols.Chat.ChatMember asker, PipeChat.Tests.Chat.RecordingSink sink, string names) =>
        Wait.UntilAsync(
            () =>
            {
                node.Say(asker, "/who");
                return sink.Lines.Contains($"* in lobby: {names}");
            },
            $"/who showing {names}",
            TimeSpan.FromSeconds(15));
}
