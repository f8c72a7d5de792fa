namespace PipeChat.Tests.Chat;

/// <summary>The room ring's memory: it grows for a lagging reader, and lets go once nobody needs the lines.</summary>
public class RoomRingTests() : ChatHubTestBase(maxPendingOutput: Limit)
{
    private const int Limit = 64 * 1024;

    [Fact]
    public void Ring_grows_for_a_stalled_reader_and_shrinks_after_it_is_cut_off()
    {
        var m = ConnectQuietly(3);
        var ring = m[0].Member.Seat!.Room.Ring;
        int initial = ring.Capacity;
        m[2].Sink.Stalled = true;

        // 10-byte lines ("<user1> x\n"): the stalled reader passes 64 KiB after ~6,600 of them.
        int said = 0;
        while (!m[2].Member.HasLeft && said < 20_000)
        {
            Say(m[0].Member, "x");
            said++;
            if (said % 100 == 0)
            {
                m[0].Sink.Take();
                m[1].Sink.Take();
            }
        }

        Assert.True(m[2].Member.HasLeft);
        Assert.True(ring.Capacity >= 4096, $"capacity {ring.Capacity} after {said} lines");

        // Everyone left keeps up: the next backlog checks release the lines and shrink the ring.
        for (int i = 0; i < 20_000 && ring.Capacity > initial; i++)
        {
            Say(m[0].Member, "x");
            m[1].Sink.Take();
            m[0].Sink.Take();
        }

        Assert.Equal(initial, ring.Capacity);
        Assert.InRange(Pool.Outstanding, 0, initial);
        Assert.False(m[1].Member.HasLeft);
        Say(m[0].Member, "still here");
        Assert.Equal(["<user1> still here"], m[1].Sink.Take());
    }

    [Fact]
    public void A_room_read_as_it_goes_holds_at_most_one_ring_of_lines()
    {
        var m = ConnectQuietly(2);
        int capacity = m[0].Member.Seat!.Room.Ring.Capacity;

        for (int i = 0; i < 5_000; i++)
        {
            Say(m[i % 2].Member, "x");
            m[0].Sink.Take();
            m[1].Sink.Take();
        }

        Assert.Equal(capacity, m[0].Member.Seat!.Room.Ring.Capacity);
        Assert.InRange(Pool.Outstanding, 0, capacity);
        DisconnectAll();
        Assert.Equal(0, Pool.Outstanding);
    }

    [Fact]
    public void A_reader_that_never_moves_is_cut_off_at_the_ring_size_limit_even_without_a_backlog()
    {
        // The stuck member only ever talks: none of the lines are for it, so its byte backlog stays 0.
        var pool = new PipeChat.Protocols.Chat.ChatMessagePool();
        var hub = new PipeChat.Protocols.Chat.ChatHub(pool) { MaxRingCapacity = 1024 };
        var stuck = new RecordingSink { Stalled = true };
        var reader = new RecordingSink();
        stuck.Member = hub.Connect(stuck);
        reader.Member = hub.Connect(reader);
        var ring = stuck.Member.Seat!.Room.Ring;

        int said = 0;
        var heard = new List<string>();
        while (!stuck.Member.HasLeft && said < 5_000)
        {
            hub.OnLine(stuck.Member, "x"u8);
            heard.AddRange(reader.Take());
            said++;
        }

        Assert.True(stuck.Member.HasLeft);
        Assert.InRange(said, 1024, 1100);
        Assert.InRange(ring.Capacity, 1024, 2048);
        heard.AddRange(reader.Take());
        Assert.Equal(said, heard.Count(l => l == "<user1> x"));
        Assert.Equal("* user1 left (too slow)", heard[^1]);
        reader.Dispose();
        stuck.Dispose();
    }
}
