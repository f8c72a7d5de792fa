using Microsoft.Extensions.Time.Testing;
using PipeChat.Protocols;
using PipeChat.Protocols.Chat;

namespace PipeChat.Tests.Chat;

/// <summary>The default window follows the room's line rate, bounded by the room's size, on a fake clock.</summary>
public class LineRateWindowTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void The_window_holds_the_lines_per_wake_at_the_room_rate()
    {
        var window = new LineRateWindow(linesPerWake: 4, shortest: Ticks(50));
        window.SetCeiling(Ticks(1000));
        Feed(window, lines: 200, everyMicroseconds: 200); // 5000 lines/s

        Assert.Equal(Ticks(200), window.MeanInterval);
        Assert.Equal(Ticks(800), window.Window);
    }

    [Fact]
    public void The_window_is_at_most_the_ceiling_and_none_under_the_shortest()
    {
        var window = new LineRateWindow(linesPerWake: 4, shortest: Ticks(50));
        window.SetCeiling(Ticks(1000));
        Assert.Equal(0, window.Window); // no line yet: at once

        Feed(window, lines: 200, everyMicroseconds: 2000); // slow room: the ceiling
        Assert.Equal(Ticks(1000), window.Window);

        Feed(window, lines: 400, everyMicroseconds: 10); // 40 µs: not worth holding back
        Assert.Equal(0, window.Window);

        Feed(window, lines: 200, everyMicroseconds: 100);
        window.SetCeiling(0); // the room shrank under the minimum
        Assert.Equal(0, window.Window);
    }

    [Fact]
    public void Bunches_of_lines_give_the_mean_rate_not_the_interval_within_a_bunch()
    {
        var window = new LineRateWindow(linesPerWake: 4, shortest: Ticks(50));
        window.SetCeiling(Ticks(1000));
        for (int i = 0; i < 50; i++)
        {
            _time.Advance(TimeSpan.FromMicroseconds(800));
            Feed(window, lines: 4, everyMicroseconds: 0); // one receive: 4 lines back to back
        }

        Assert.Equal(Ticks(200), window.MeanInterval);
    }

    [Fact]
    public void A_pause_counts_as_the_ceiling_and_the_rate_is_learnt_again_within_dozens_of_lines()
    {
        var window = new LineRateWindow(linesPerWake: 4, shortest: Ticks(50));
        window.SetCeiling(Ticks(1000));
        Feed(window, lines: 100, everyMicroseconds: 100);
        _time.Advance(TimeSpan.FromMinutes(5));
        window.OnLine(_time.GetTimestamp());
        Assert.InRange(window.MeanInterval, Ticks(100), Ticks(1000));

        Feed(window, lines: 100, everyMicroseconds: 100);
        Assert.InRange(window.Window, Ticks(400), Ticks(440));
    }

    [Fact]
    public void A_publisher_waiting_on_its_own_lines_is_not_capped_at_its_window_per_ceiling()
    {
        // 1000 readers: the per-member ceiling is 10 ms. The publisher keeps 16 lines in flight and writes one
        // every 20 µs while it may; a wake-up delivers everything published. A window of the room's size alone
        // lets 16 lines through per 10 ms (1600 lines/s); following the rate, the publisher runs at its own pace.
        var (lines, wakes, _) = RunClosedLoop(WakeCoalescing.Auto, readers: 1000, inFlight: 16, everyMicroseconds: 20);

        Assert.True(lines > 40_000, $"{lines} lines/s delivered");
        Assert.True(wakes * 2 < lines, $"{wakes} wake-ups for {lines} lines: not coalesced");
    }

    [Fact]
    public void A_steady_publisher_gets_about_the_lines_per_wake()
    {
        // 100 readers (1 ms ceiling), 5000 lines/s: about 4 lines per wake-up, each held at most 0.8 ms.
        var (lines, wakes, longestWait) = RunClosedLoop(WakeCoalescing.Auto, readers: 100, inFlight: int.MaxValue, everyMicroseconds: 200);

        Assert.InRange(lines, 4990, 5000);
        Assert.InRange(wakes, 5000 / 5, 5000 / 3);
        Assert.InRange(longestWait, TimeSpan.FromMicroseconds(500), TimeSpan.FromMicroseconds(800));
    }

    [Fact]
    public void Lines_that_come_in_bunches_of_the_lines_per_wake_are_not_held_back()
    {
        // The same 5000 lines/s in bunches of 4 (one receive: one signal after the four are published), as when
        // the sender writes right after its last lines were delivered: each bunch fills the window at once.
        var (lines, wakes, longestWait) = RunClosedLoop(WakeCoalescing.Auto, readers: 100, inFlight: int.MaxValue, everyMicroseconds: 800, bunch: 4);

        Assert.InRange(lines, 4990, 5000);
        Assert.InRange(wakes, 1240, 1260);
        Assert.Equal(TimeSpan.Zero, longestWait);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_window_of_the_room_size_alone_caps_that_publisher_at_its_window_per_ceiling(bool fixedWindow)
    {
        // What the default did before it followed the rate (10 µs per member), and a fixed 10 ms window.
        var policy = fixedWindow ? WakeCoalescing.Fixed(TimeSpan.FromMilliseconds(10)) : WakeCoalescing.Auto with { LinesPerWake = 0 };
        var (lines, _, _) = RunClosedLoop(policy, readers: 1000, inFlight: 16, everyMicroseconds: 20);
        Assert.InRange(lines, 1500, 1700);
    }

    private static long Ticks(double microseconds) => (long)Math.Round(microseconds * 1e-6 * new FakeTimeProvider().TimestampFrequency);

    private void Feed(LineRateWindow window, int lines, int everyMicroseconds)
    {
        for (int i = 0; i < lines; i++)
        {
            _time.Advance(TimeSpan.FromMicroseconds(everyMicroseconds));
            window.OnLine(_time.GetTimestamp());
        }
    }

    // One simulated second: every so often a bunch of lines is published (then one signal, as at the end of a
    // receive) while fewer than inFlight wait for a wake-up, which delivers them all. Returns the lines delivered,
    // the wake-ups and the longest a line waited.
    private (long Lines, int Wakes, TimeSpan LongestWait) RunClosedLoop(WakeCoalescing policy, int readers, int inFlight, int everyMicroseconds, int bunch = 1)
    {
        var room = new DeliveringRoom(_time);
        var scheduler = new ClockScheduler(_time);
        var wake = WakeStrategy.Create(room, policy, scheduler, _time);
        wake.ReadersChanged(readers);
        var end = _time.GetUtcNow() + TimeSpan.FromSeconds(1);
        while (_time.GetUtcNow() < end)
        {
            _time.Advance(TimeSpan.FromMicroseconds(everyMicroseconds));
            scheduler.RunDue();
            if (room.Waiting < inFlight)
            {
                for (int i = 0; i < bunch; i++)
                {
                    room.Publish();
                    wake.Published();
                }

                wake.Signal();
            }
        }

        return (room.Delivered, room.Wakes, room.LongestWait);
    }

    private sealed class DeliveringRoom(FakeTimeProvider time) : IWakeable
    {
        private readonly Queue<DateTimeOffset> _waiting = new();

        public int Waiting => _waiting.Count;

        public long Delivered { get; private set; }

        public int Wakes { get; private set; }

        public TimeSpan LongestWait { get; private set; }

        public void Publish() => _waiting.Enqueue(time.GetUtcNow());

        public void Wake()
        {
            Wakes++;
            while (_waiting.TryDequeue(out var published))
            {
                Delivered++;
                var waited = time.GetUtcNow() - published;
                LongestWait = waited > LongestWait ? waited : LongestWait;
            }
        }
    }
}
