using System.Buffers;
using System.Text;
using PipeChat.Protocols.Chat;
using PipeChat.Tests.Chat;

namespace PipeChat.Tests.Cluster;

/// <summary>The hub's side of a cluster (docs/cluster.md), sans-I/O: hubs joined by an in-memory bridge.</summary>
public sealed class ChatHubClusterTests : IDisposable
{
    private readonly ChatMessagePool _pool = new();
    private readonly FakeCluster _cluster = new();
    private readonly List<RecordingSink> _sinks = [];

    [Fact]
    public void A_member_whose_name_is_held_elsewhere_after_an_outage_is_renamed_with_the_notices_of_a_nick()
    {
        var a = _cluster.AddNode(_pool);
        var b = _cluster.AddNode(_pool);
        var (member, sink) = Connect(a);
        var (_, neighbour) = Connect(a);
        var (_, remote) = Connect(b);
        _cluster.Pump();
        Forget(sink, neighbour, remote);
        string old = member.Name;

        Assert.True(a.RenameConflicting(old, "user99"));
        Assert.False(a.RenameConflicting("nobody", "user98"));
        _cluster.Pump();
        Assert.Equal("user99", member.Name);
        Assert.Equal([$"* name {old} is held on another node", "* you are now user99"], sink.Take());
        Assert.Equal([$"* {old} is now user99"], neighbour.Take());
        Assert.Equal([$"* {old} is now user99"], remote.Take());
    }

    [Fact]
    public void A_line_reaches_the_room_on_every_node_once_in_order_and_the_bridge_gets_it_once()
    {
        var a = _cluster.AddNode(_pool);
        var b = _cluster.AddNode(_pool);
        var (sender, _) = Connect(a);
        var (localReader, localSink) = Connect(a);
        var (remote1, sink1) = Connect(b);
        var (remote2, sink2) = Connect(b);
        _cluster.Pump();
        Forget(localSink, sink1, sink2);

        for (int i = 0; i < 50; i++)
        {
            Say(a, sender, $"line {i}");
        }

        _cluster.Pump();
        string[] expected = [.. Enumerable.Range(0, 50).Select(i => $"<{sender.Name}> line {i}")];
        Assert.Equal(expected, localSink.Take());
        Assert.Equal(expected, sink1.Take());
        Assert.Equal(expected, sink2.Take());
        Assert.Equal(50, _cluster.BridgeOf(a).LinesOut);
        Assert.Equal(0, _cluster.BridgeOf(b).LinesOut);
        _ = localReader;
        _ = remote1;
        _ = remote2;
    }

    [Fact]
    public void A_lone_member_still_reaches_the_other_nodes()
    {
        var a = _cluster.AddNode(_pool);
        var b = _cluster.AddNode(_pool);
        var (alone, _) = Connect(a);
        var (_, sink) = Connect(b);
        _cluster.Pump();
        sink.Take();

        Say(a, alone, "anyone?");
        _cluster.Pump();

        Assert.Equal([$"<{alone.Name}> anyone?"], sink.Take());
    }

    [Fact]
    public void Joins_leaves_and_renames_reach_the_room_on_the_other_nodes()
    {
        var a = _cluster.AddNode(_pool);
        var b = _cluster.AddNode(_pool);
        var (_, watcher) = Connect(b);
        _cluster.Pump();
        watcher.Take();

        var (member, _) = Connect(a);
        string first = member.Name;
        _cluster.Pump();
        Say(a, member, "/nick carol");
        _cluster.BridgeOf(a).AnswerClaims();
        Say(a, member, "/join dev");
        Say(a, member, "/join lobby");
        a.Disconnect(member);
        _cluster.Pump();

        Assert.Equal([$"* {first} joined", $"* {first} is now carol", "* carol left", "* carol joined", "* carol left"], watcher.Take());
    }

    [Fact]
    public void Who_and_rooms_count_every_node()
    {
        var a = _cluster.AddNode(_pool);
        var b = _cluster.AddNode(_pool);
        var c = _cluster.AddNode(_pool);
        var (asker, askerSink) = Connect(a);
        var (onB, _) = Connect(b);
        var (onC, _) = Connect(c);
        Say(c, onC, "/join dev");
        _cluster.Pump();
        askerSink.Take();

        Say(a, asker, "/who");
        Say(a, asker, "/rooms");

        var names = new[] { asker.Name, onB.Name }.Order(StringComparer.OrdinalIgnoreCase);
        Assert.Equal([$"* in lobby: {string.Join(' ', names)}", "* rooms: dev(1) lobby(2)"], askerSink.Take());
    }

    [Fact]
    public void User_names_come_from_the_bridge_and_never_collide_across_nodes()
    {
        var a = _cluster.AddNode(_pool);
        var b = _cluster.AddNode(_pool);
        var names = new List<string>();
        for (int i = 0; i < 10; i++)
        {
            names.Add(Connect(a).Member.Name);
            names.Add(Connect(b).Member.Name);
        }

        Assert.Equal(names.Count, names.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.All(names, n => Assert.True(_cluster.IsClaimed(n), n));
    }

    [Fact]
    public void Nick_to_a_name_held_on_another_node_is_taken_ignoring_case()
    {
        var a = _cluster.AddNode(_pool);
        var b = _cluster.AddNode(_pool);
        var (alice, _) = Connect(a);
        var (other, otherSink) = Connect(b);
        Say(a, alice, "/nick alice");
        _cluster.BridgeOf(a).AnswerClaims();
        otherSink.Take();

        // Not heard yet (no pump): the claim decides.
        Say(b, other, "/nick ALICE");
        _cluster.BridgeOf(b).AnswerClaims();
        Assert.Equal(["! name ALICE is taken"], otherSink.Take());

        // Heard: refused at once, no claim asked.
        _cluster.Pump();
        otherSink.Take();
        Say(b, other, "/nick Alice");
        Assert.Equal(0, _cluster.BridgeOf(b).PendingClaims);
        Assert.Equal(["! name Alice is taken"], otherSink.Take());
    }

    [Fact]
    public void A_pending_claim_holds_the_members_later_lines_until_it_is_answered()
    {
        var a = _cluster.AddNode(_pool);
        var b = _cluster.AddNode(_pool);
        var (member, _) = Connect(a);
        var (_, watcher) = Connect(b);
        _cluster.Pump();
        watcher.Take();
        string first = member.Name;

        var input = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes("/nick dave\nafter\n"));
        Assert.True(a.OnReceived(member, ref input, 4096, null, out TimeSpan pause));
        Assert.True(pause > TimeSpan.Zero, "the line after /nick waits for the claim");
        Assert.Equal("after\n", Encoding.ASCII.GetString(input.ToArray()));

        _cluster.BridgeOf(a).AnswerClaims();
        Assert.True(a.OnReceived(member, ref input, 4096, null, out pause));
        Assert.Equal(TimeSpan.Zero, pause);
        _cluster.Pump();

        Assert.Equal([$"* {first} is now dave", "<dave> after"], watcher.Take());
        Assert.Contains(first, _cluster.BridgeOf(a).Released);
    }

    [Fact]
    public void A_node_gone_is_announced_as_left_for_each_of_its_members()
    {
        var a = _cluster.AddNode(_pool);
        var b = _cluster.AddNode(_pool);
        var (_, watcher) = Connect(a);
        var (x, _) = Connect(b);
        var (y, _) = Connect(b);
        _cluster.Pump();
        watcher.Take();

        Assert.Equal(2, a.RemoteNodeGone(_cluster.BridgeOf(b).Node));

        Assert.Equal(new[] { $"* {x.Name} left", $"* {y.Name} left" }.Order(), watcher.Take().Order());
        Assert.Equal(0, a.RemoteMemberCount);
    }

    [Fact]
    public void Graceful_stop_of_a_node_announces_its_members_as_left_on_the_others()
    {
        var a = _cluster.AddNode(_pool);
        var b = _cluster.AddNode(_pool);
        var (_, watcher) = Connect(a);
        var (x, _) = Connect(b);
        _cluster.Pump();
        watcher.Take();

        b.BroadcastShutdown();
        _cluster.Pump();

        Assert.Equal([$"* {x.Name} left"], watcher.Take());
    }

    [Fact]
    public void Outage_is_told_once_keeps_local_rooms_and_snapshots_restore_presence()
    {
        var a = _cluster.AddNode(_pool);
        var b = _cluster.AddNode(_pool);
        var (m1, s1) = Connect(a);
        var (m2, s2) = Connect(a);
        var (remote, remoteSink) = Connect(b);
        _cluster.Pump();
        Forget(s1, s2, remoteSink);

        foreach (var bridge in _cluster.Bridges)
        {
            bridge.IsLinked = false;
        }

        a.ClusterUnavailable();
        b.ClusterUnavailable();
        Say(a, m1, "local only");
        _cluster.Pump();
        Assert.Equal(["* cluster unavailable"], s1.Take());
        Assert.Equal(["* cluster unavailable", $"<{m1.Name}> local only"], s2.Take());
        Assert.Equal(["* cluster unavailable"], remoteSink.Take());
        Assert.Equal(0, a.RemoteMemberCount);

        foreach (var bridge in _cluster.Bridges)
        {
            bridge.IsLinked = true;
            bridge.Hub.ClusterRestored();
            bridge.Heartbeat();
        }

        _cluster.Pump();
        Assert.Equal(["* cluster restored"], s1.Take());
        Say(a, m1, "/who");
        var names = new[] { m1.Name, m2.Name, remote.Name }.Order(StringComparer.OrdinalIgnoreCase);
        Assert.Equal([$"* in lobby: {string.Join(' ', names)}"], s1.Take());
    }

    [Fact]
    public void A_member_arriving_while_the_cluster_is_unavailable_hears_so_once_after_its_welcome()
    {
        var a = _cluster.AddNode(_pool);
        var (_, early) = Connect(a);
        Forget(early);
        _cluster.BridgeOf(a).IsLinked = false;
        a.ClusterUnavailable();

        var (late, sink) = Connect(a);
        Assert.Equal([$"* welcome {late.Name}", "* cluster unavailable"], sink.Take());
        Assert.Equal(["* cluster unavailable", $"* {late.Name} joined"], early.Take());

        _cluster.BridgeOf(a).IsLinked = true;
        a.ClusterRestored();
        Assert.Equal(["* cluster restored"], sink.Take());
        var (after, afterSink) = Connect(a);
        Assert.Equal([$"* welcome {after.Name}"], afterSink.Take());
    }

    public void Dispose()
    {
        foreach (var sink in _sinks)
        {
            sink.Dispose();
        }
    }

    private (ChatMember Member, RecordingSink Sink) Connect(ChatHub hub)
    {
        var sink = new RecordingSink();
        _sinks.Add(sink);
        var member = hub.Connect(sink);
        sink.Member = member;
        return (member, sink);
    }

    private static void Say(ChatHub hub, ChatMember member, string line) => hub.OnLine(member, Encoding.UTF8.GetBytes(line));

    private static void Forget(params RecordingSink[] sinks)
    {
        foreach (var sink in sinks)
        {
            sink.Take();
        }
    }
}
