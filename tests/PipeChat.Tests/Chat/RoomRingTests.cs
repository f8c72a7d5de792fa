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
}
