using System.Buffers;
using System.Text;
using PipeChat.Protocols.Chat;

namespace PipeChat.Tests.Chat;

/// <summary>Ordering guarantees under concurrency, stale snapshots, framing integration and allocation.</summary>
public class ChatHubOrderingTests : ChatHubTestBase
{
    [Fact]
    public void Unread_lines_of_the_old_room_come_before_joined_and_nothing_after()
    {
        var m = ConnectQuietly(3);
        var (sender, _) = m[0];
        var (mover, moverSink) = m[2];

        Say(sender, "before");
        Say(mover, "/join dev");
        Say(sender, "after");
        Say(mover, "/join lobby");
        Say(sender, "back");

        Assert.Equal(["<user1> before", "* joined dev", "* joined lobby", "<user1> back"], moverSink.Lines);
        Assert.Equal(["<user1> before", "* user3 left", "<user1> after", "* user3 joined", "<user1> back"], m[1].Sink.Lines);
    }

    [Fact]
    public void Private_replies_keep_their_place_among_room_lines()
    {
        var m = ConnectQuietly(2);

        Say(m[0].Member, "one");
        Say(m[1].Member, "/dance");
        Say(m[0].Member, "two");
        Say(m[1].Member, "/nick bob");
        Say(m[0].Member, "three");

        Assert.Equal(
            ["<user1> one", "! unknown command: /dance", "<user1> two", "* you are now bob", "<user1> three"],
            m[1].Sink.Lines);
    }

    [Fact]
    public void Member_that_quits_gets_every_line_said_before_then_bye()
    {
        var m = ConnectQuietly(2);

        Say(m[0].Member, "one");
        Say(m[0].Member, "two");
        Say(m[1].Member, "/quit");
        Say(m[0].Member, "three");

        Assert.Equal(["<user1> one", "<user1> two", "* bye"], m[1].Sink.Lines);
    }

    [Fact]
    public void Drains_stop_at_the_budget_and_resume_in_order()
    {
        var m = ConnectQuietly(2);
        string text = new('y', 1000);
        int count = (ChatMember.DrainBudget / 1000) * 3;
        for (int i = 0; i < count; i++)
        {
            Say(m[0].Member, text + i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        var output = new ArrayBufferWriter<byte>();
        int calls = 1;
        while (m[1].Member.DrainTo(output))
        {
            Assert.InRange(output.WrittenCount, 0, calls * (ChatMember.DrainBudget + 1100));
            calls++;
        }

        Assert.InRange(calls, 3, 5);
        string[] lines = Encoding.UTF8.GetString(output.WrittenSpan).TrimEnd('\n').Split('\n');
        Assert.Equal(count, lines.Length);
        for (int i = 0; i < count; i++)
        {
            Assert.EndsWith(text + i.ToString(System.Globalization.CultureInfo.InvariantCulture), lines[i]);
        }
    }

    [Fact]
    public void Concurrent_senders_keep_their_order_at_every_recipient()
    {
        const int Senders = 4;
        const int PerSender = 2_000;
        var members = ConnectQuietly(Senders + 2);
        foreach (var (_, sink) in members)
        {
            sink.StartPumping();
        }

        RunConcurrently(Senders, s =>
        {
            for (int i = 0; i < PerSender; i++)
            {
                Say(members[s].Member, i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
        });

        foreach (var (member, sink) in members)
        {
            Dictionary<string, List<int>> bySender = GroupBySender(sink.Lines);
            for (int s = 0; s < Senders; s++)
            {
                string name = members[s].Member.Name;
                if (name == member.Name)
                {
                    Assert.False(bySender.ContainsKey(name));
                    continue;
                }

                Assert.Equal(Enumerable.Range(0, PerSender), bySender[name]);
            }
        }
    }

    /// <summary>
    /// The same invariant under real contention. The race it guards against is narrow, so this is a sanity
    /// check; <see cref="Relay_from_a_stale_snapshot_skips_members_who_moved"/> pins it down deterministically.
    /// </summary>
    [Fact]
    public void Member_switching_rooms_never_gets_old_room_messages_after_joining()
    {
        const int PerSender = 3_000;
        const int Hops = 300;
        var members = ConnectQuietly(5);
        string[] names = ["a1", "a2", "b1", "b2", "hopper"];
        for (int i = 0; i < members.Length; i++)
        {
            Say(members[i].Member, "/nick " + names[i]);
        }

        Say(members[2].Member, "/join dev");
        Say(members[3].Member, "/join dev");
        RecordingSink hopperSink = members[4].Sink;
        hopperSink.Take();
        foreach (var (_, sink) in members)
        {
            sink.StartPumping();
        }

        RunConcurrently(5, t =>
        {
            if (t < 4)
            {
                for (int i = 0; i < PerSender; i++)
                {
                    Say(members[t].Member, i.ToString(System.Globalization.CultureInfo.InvariantCulture));
                }
            }
            else
            {
                for (int i = 0; i < Hops; i++)
                {
                    Say(members[4].Member, "/join dev");
                    Say(members[4].Member, "/join lobby");
                }
            }
        });

        string room = ChatHub.Lobby;
        var lastSeen = new Dictionary<string, int>();
        foreach (string line in hopperSink.Lines)
        {
            if (line.StartsWith("* joined ", StringComparison.Ordinal))
            {
                room = line["* joined ".Length..];
            }
            else if (line.StartsWith('<'))
            {
                string sender = line[1..line.IndexOf('>', StringComparison.Ordinal)];
                Assert.Equal(sender[0] == 'a' ? ChatHub.Lobby : "dev", room);
                int n = int.Parse(line[(line.IndexOf(' ', StringComparison.Ordinal) + 1)..], System.Globalization.CultureInfo.InvariantCulture);
                Assert.True(n > lastSeen.GetValueOrDefault(sender, -1), $"{sender} out of order at {n}");
                lastSeen[sender] = n;
            }
        }

        Assert.Equal(ChatHub.Lobby, room);
        Assert.Equal(Hops * 2, hopperSink.Lines.Count(l => l.StartsWith("* joined ", StringComparison.Ordinal)));
    }

    [Fact]
    public void On_received_frames_every_complete_line_across_segments()
    {
        var m = ConnectQuietly(2);
        ReadOnlySequence<byte> buffer = Sequences.FromSegments("hel", "lo\r\nwor", "ld\n\n/w", "ho\npart");

        Assert.True(Hub.OnReceived(m[0].Member, ref buffer, 100));

        Assert.Equal("part", Sequences.Text(buffer));
        Assert.Equal(["<user1> hello", "<user1> world"], m[1].Sink.Lines);
        Assert.Equal(["* in lobby: user1 user2"], m[0].Sink.Lines);
    }

    [Fact]
    public void On_received_relays_long_multi_segment_lines()
    {
        var m = ConnectQuietly(2);
        string text = new('x', 1000);
        ReadOnlySequence<byte> buffer = Sequences.FromSegments(text[..300], text[300..], "\n");

        Assert.True(Hub.OnReceived(m[0].Member, ref buffer, 4096));

        Assert.Equal(["<user1> " + text], m[1].Sink.Lines);
    }

    [Theory]
    [InlineData("123456\n")]
    [InlineData("1234567")]
    [InlineData("ok\n123456")]
    public void On_received_ends_the_member_on_a_too_long_line(string input)
    {
        var m = ConnectQuietly(2);
        ReadOnlySequence<byte> buffer = Sequences.FromSegments(input[..2], input[2..]);

        Assert.False(Hub.OnReceived(m[0].Member, ref buffer, 5));

        Assert.Equal("! line too long", m[0].Sink.Last);
        Assert.Equal("* user1 left", m[1].Sink.Last);
        Assert.True(m[0].Sink.Closed);
    }

    [Fact]
    public void On_received_stops_at_quit()
    {
        var m = ConnectQuietly(2);
        ReadOnlySequence<byte> buffer = Sequences.Of("a\n/quit\nb\n");

        Assert.False(Hub.OnReceived(m[0].Member, ref buffer, 100));

        Assert.Equal(["<user1> a", "* user1 left"], m[1].Sink.Lines);
        Assert.Equal("b\n", Sequences.Text(buffer));
    }

    [Fact]
    public void Steady_state_relaying_and_draining_do_not_allocate()
    {
        var hub = new ChatHub(new ChatMessagePool());
        var members = Enumerable.Range(0, 10).Select(_ => hub.Connect(new CountingSink())).ToArray();
        byte[] line = Encoding.UTF8.GetBytes("a typical chat line of some length");
        var output = new ArrayBufferWriter<byte>(64 * 1024);

        void Round(int i)
        {
            hub.OnLine(members[i % members.Length], line);
            foreach (ChatMember member in members)
            {
                member.DrainTo(output);
            }

            output.ResetWrittenCount();
        }

        // Warm up past a few laps of the ring, so slots are being reused.
        for (int i = 0; i < 1_000; i++)
        {
            Round(i);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 2_000; i++)
        {
            Round(i);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static Dictionary<string, List<int>> GroupBySender(IReadOnlyList<string> lines)
    {
        var bySender = new Dictionary<string, List<int>>();
        foreach (string line in lines.Where(l => l.StartsWith('<')))
        {
            int close = line.IndexOf('>', StringComparison.Ordinal);
            string sender = line[1..close];
            int n = int.Parse(line[(close + 2)..], System.Globalization.CultureInfo.InvariantCulture);
            if (!bySender.TryGetValue(sender, out List<int>? list))
            {
                bySender[sender] = list = [];
            }

            list.Add(n);
        }

        return bySender;
    }

    /// <summary>Runs <paramref name="count"/> threads released together by a barrier and waits for all of them.</summary>
    private static void RunConcurrently(int count, Action<int> body)
    {
        using var start = new Barrier(count);
        Exception? failure = null;
        var threads = new Thread[count];
        for (int t = 0; t < count; t++)
        {
            int index = t;
            threads[t] = new Thread(() =>
            {
                start.SignalAndWait();
                try
                {
                    body(index);
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref failure, e, null);
                }
            });
            threads[t].Start();
        }

        foreach (Thread thread in threads)
        {
            thread.Join();
        }

        if (failure is not null)
        {
            throw new InvalidOperationException("A worker thread failed.", failure);
        }
    }

    /// <summary>A sink that only counts wake-ups; the test drains by hand.</summary>
    private sealed class CountingSink : IChatMemberSink
    {
        public int Wakes { get; private set; }

        public void Wake() => Wakes++;

        public void Close()
        {
        }

        public void Abort()
        {
        }
    }
}
