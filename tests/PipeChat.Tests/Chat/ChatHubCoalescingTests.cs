using PipeChat.Protocols.Chat;

namespace PipeChat.Tests.Chat;

/// <summary>With --wake-coalescing-ms, a busy room wakes its readers at most once per window.</summary>
public class ChatHubCoalescingTests() : ChatHubTestBase(wakeCoalescing: WakeCoalescing.Fixed(Window))
{
    private static readonly TimeSpan Window = TimeSpan.FromMilliseconds(2);

    [Fact]
    public async Task Wake_ups_within_the_coalescing_window_are_merged_into_one()
    {
        var m = ConnectQuietly(2);
        var (wakes, windows) = await BurstAsync(Hub, m[0].Member, m[1].Sink, Window);

        // At most one wake-up per window (plus the first, immediate one and the last, deferred one).
        Assert.InRange(wakes, 1, windows + 2);
    }

    [Fact]
    public async Task Deferred_wake_ups_run_in_order_of_due_time_not_of_scheduling()
    {
        // Rooms' windows differ, so a short window scheduled after a long one is due first.
        var m = ConnectQuietly(2);
        var (late, lateSink) = (new SinkWake(m[0].Sink), m[0].Sink);
        var (soon, soonSink) = (new SinkWake(m[1].Sink), m[1].Sink);
        int lateBefore = lateSink.Wakes, soonBefore = soonSink.Wakes;
        PipeChat.Transport.PreciseWakeScheduler.Shared.Schedule(late, TimeSpan.FromMilliseconds(300));
        PipeChat.Transport.PreciseWakeScheduler.Shared.Schedule(soon, TimeSpan.FromMilliseconds(5));

        await Support.Wait.UntilAsync(() => lateSink.Wakes > lateBefore && soonSink.Wakes > soonBefore, "both deferred wake-ups");

        // Even after a stall that makes both due, the earlier due runs first (a queue would run late's first).
        Assert.True(soonSink.LastWakeTimestamp < lateSink.LastWakeTimestamp, "the 5 ms wake-up waited for the 300 ms one");
    }

    // A deferred wake-up that wakes one member's sink.
    private sealed class SinkWake(RecordingSink sink) : IDeferredWake
    {
        public void RunDeferredWake() => sink.Wake();
    }

    /// <summary>
    /// Says <paramref name="lines"/> lines, the reader reading after each, so asleep before each next one:
    /// without coalescing each would wake it. Returns its wake-ups and how many windows the burst took.
    /// </summary>
    internal static async Task<(int Wakes, long Windows)> BurstAsync(ChatHub hub, ChatMember speaker, RecordingSink reader, TimeSpan window, int lines = 200)
    {
        hub.OnLine(speaker, "first"u8);
        await Support.Wait.UntilAsync(() => reader.Wakes > 0, "the first wake-up");
        reader.Take();
        int before = reader.Wakes;

        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        int received = 0;
        for (int i = 0; i < lines; i++)
        {
            hub.OnLine(speaker, "burst"u8);
            received += reader.Take().Length;
        }

        long windows = (long)(stopwatch.Elapsed / window);
        await Support.Wait.UntilAsync(() => (received += reader.Take().Length) == lines, "every line");

        // The member was left asleep with lines waiting only until the deferred wake-up.
        await Support.Wait.UntilAsync(() => reader.Wakes > before, "the deferred wake-up");
        return (reader.Wakes - before, windows);
    }
}

/// <summary>The default policy: a window that grows with the room, none for small rooms.</summary>
public class ChatHubRoomSizeCoalescingTests() : ChatHubTestBase(wakeCoalescing: Policy)
{
    // 1 ms per member from 3 ms: rooms of 1-2 members wake at once, a room of 40 every 40 ms.
    private static readonly WakeCoalescing Policy = new() { WindowPerMember = TimeSpan.FromMilliseconds(1), MinWindow = TimeSpan.FromMilliseconds(3) };

    [Fact]
    public void The_window_grows_with_the_room_and_the_default_spares_small_rooms()
    {
        Assert.Equal(TimeSpan.Zero, WakeCoalescing.Auto.WindowFor(10));
        Assert.Equal(TimeSpan.FromMilliseconds(0.5), WakeCoalescing.Auto.WindowFor(50));
        Assert.Equal(TimeSpan.FromMilliseconds(1), WakeCoalescing.Auto.WindowFor(100));
        Assert.Equal(TimeSpan.FromMilliseconds(10), WakeCoalescing.Auto.WindowFor(1000));
        Assert.Equal(TimeSpan.FromMilliseconds(2), WakeCoalescing.Fixed(TimeSpan.FromMilliseconds(2)).WindowFor(1));
        Assert.Equal(TimeSpan.Zero, WakeCoalescing.Off.WindowFor(1000));
    }

    [Fact]
    public void A_room_under_the_shortest_window_wakes_its_reader_on_every_line()
    {
        var m = ConnectQuietly(2);
        Say(m[0].Member, "first");
        m[1].Sink.Take();
        EachLineWakesAtOnce(m[0].Member, m[1].Sink, 50);
    }

    [Fact]
    public async Task A_big_room_coalesces_and_falls_back_to_waking_at_once_when_it_shrinks()
    {
        var m = ConnectQuietly(40);
        var (wakes, windows) = await ChatHubCoalescingTests.BurstAsync(Hub, m[0].Member, m[1].Sink, TimeSpan.FromMilliseconds(40));
        Assert.InRange(wakes, 1, windows + 2);
        Assert.True(wakes < 200, $"{wakes} wake-ups for 200 lines in a 40-member room");

        for (int i = 2; i < 40; i++)
        {
            Hub.Disconnect(m[i].Member, discardOutput: true);
        }

        // The leave notices went out while the room was still big: let their deferred wake-up pass.
        var ring = m[0].Member.Seat!.Room.Ring;
        await Support.Wait.UntilAsync(() => !ring.WakePending, "the last deferred wake-up");
        m[1].Sink.Take();

        // Two members: a 2 ms window, under the 3 ms minimum.
        EachLineWakesAtOnce(m[0].Member, m[1].Sink, 20);
    }

    // The reader is asleep before each line: each must wake it synchronously, nothing deferred.
    private void EachLineWakesAtOnce(ChatMember speaker, RecordingSink reader, int lines)
    {
        for (int i = 0; i < lines; i++)
        {
            int before = reader.Wakes;
            Say(speaker, "line");
            Assert.True(reader.Wakes > before, $"line {i} did not wake the reader at once");
            Assert.Single(reader.Take());
        }
    }
}
