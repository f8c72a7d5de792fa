using Microsoft.Extensions.Time.Testing;
using PipeChat.Protocols;
using PipeChat.Protocols.Chat;

namespace PipeChat.Tests.Chat;

/// <summary>
/// A room whose wake-ups keep finding its readers busy (saturated) gathers more lines per wake-up; one that keeps up
/// stays at the default lines per wake-up (and so at its latency). Sans-I/O, on a fake clock.
/// </summary>
public class SaturatedRoomWindowTests
{
    private readonly FakeTimeProvider _time;
    private readonly ClockScheduler _scheduler;
    private readonly Sleepers _sleepers;

    public SaturatedRoomWindowTests()
    {
        _time = new FakeTimeProvider();
        _scheduler = new ClockScheduler(_time);
        _sleepers = new Sleepers(_time);
    }

    [Fact]
    public void Wake_ups_that_find_fewer_than_half_asleep_add_a_line_per_wake_up_up_to_three_times()
    {
        var window = new LineRateWindow(linesPerWake: 4, shortest: Ticks(50));
        window.SetCeiling(Ticks(1000));
        Feed(window, lines: 100, everyMicroseconds: 40); // 25k lines/s: 160 µs for 4 lines
        Assert.Equal(4, window.LinesPerWake);
        Assert.Equal(Ticks(160), window.Window);

        window.OnWake(woken: 30, readers: 100);
        Assert.Equal(5, window.LinesPerWake);
        Assert.Equal(Ticks(200), window.Window);

        for (int i = 0; i < 20; i++)
        {
            window.OnWake(woken: 49, readers: 100);
        }

        Assert.Equal(4 * LineRateWindow.SaturatedFactor, window.LinesPerWake);
        Assert.Equal(Ticks(480), window.Window);

        // Still under the room's ceiling.
        window.SetCeiling(Ticks(300));
        Assert.Equal(Ticks(300), window.Window);
    }

    [Fact]
    public void Wake_ups_that_find_most_asleep_come_back_to_the_lines_per_wake_and_in_between_hold()
    {
        var window = new LineRateWindow(linesPerWake: 4, shortest: Ticks(50));
        window.SetCeiling(Ticks(1000));
        for (int i = 0; i < 8; i++)
        {
            window.OnWake(woken: 10, readers: 100);
        }

        Assert.Equal(12, window.LinesPerWake);
        window.OnWake(woken: 50, readers: 100);
        window.OnWake(woken: 87, readers: 100);
        Assert.Equal(12, window.LinesPerWake); // between a half and seven in eight: held

        window.OnWake(woken: 88, readers: 100);
        Assert.Equal(11, window.LinesPerWake);
        for (int i = 0; i < 20; i++)
        {
            window.OnWake(woken: 100, readers: 100);
        }

        Assert.Equal(4, window.LinesPerWake);
        window.OnWake(woken: 0, readers: 0); // no readers: nothing learnt
        Assert.Equal(4, window.LinesPerWake);
    }

    [Theory]
    [InlineData(670)] // a room of 1000 as fast as possible: 4 lines are 2.7 ms, wake-ups a few hundred a second
    [InlineData(200)] // 5000 lines/s: 4 lines are 0.8 ms (a wake-up that found readers busy by chance)
    public void A_saturated_room_whose_window_would_pass_half_a_millisecond_gathers_no_more(int everyMicroseconds)
    {
        var window = new LineRateWindow(linesPerWake: 4, shortest: Ticks(50), saturatedLongest: Ticks(500));
        window.SetCeiling(Ticks(10_000));
        Feed(window, lines: 100, everyMicroseconds: everyMicroseconds);
        for (int i = 0; i < 10; i++)
        {
            window.OnWake(woken: 10, readers: 1000);
        }

        Assert.Equal(4, window.LinesPerWake);
        Assert.Equal(Ticks(4 * everyMicroseconds), window.Window);
    }

    [Fact]
    public void The_extra_lines_of_a_saturated_room_stay_within_half_a_millisecond_when_its_rate_falls()
    {
        var window = new LineRateWindow(linesPerWake: 4, shortest: Ticks(50), saturatedLongest: Ticks(500));
        window.SetCeiling(Ticks(1000));
        Feed(window, lines: 100, everyMicroseconds: 40);
        for (int i = 0; i < 10; i++)
        {
            window.OnWake(woken: 10, readers: 100);
        }

        Assert.Equal(12, window.LinesPerWake);
        Assert.Equal(Ticks(480), window.Window);

        Feed(window, lines: 200, everyMicroseconds: 100); // 10 000 lines/s: 5 lines fill half a millisecond
        Assert.Equal(5, window.LinesPerWake);
        Assert.InRange(window.Window, Ticks(490), Ticks(500)); // the moving mean: within a few tenths of a per cent

        Feed(window, lines: 200, everyMicroseconds: 200); // 5000 lines/s: the 4 lines of a room that keeps up
        Assert.Equal(4, window.LinesPerWake);
        Assert.InRange(window.Window, Ticks(780), Ticks(800));
    }

    [Fact]
    public void A_saturated_room_wakes_less_often_and_recovers_its_window_once_it_keeps_up()
    {
        // 100 readers (1 ms ceiling), 25 000 lines/s published one by one, a signal each.
        var sleepers = _sleepers;
        var wake = WakeStrategy.Create(sleepers, WakeCoalescing.Auto, _scheduler, _time);
        wake.ReadersChanged(100);

        // Keeping up: every wake-up finds all 100 asleep, one per 4 lines.
        sleepers.Asleep = 100;
        int keepingUp = Publish(wake, sleepers, lines: 4000, everyMicroseconds: 40);
        Assert.InRange(keepingUp, 4000 / 5, 4000 / 3);

        // Saturated: each wake-up finds only 30 asleep (the others are still sending): about one per 12 lines.
        sleepers.Asleep = 30;
        Publish(wake, sleepers, lines: 400, everyMicroseconds: 40); // learning
        int saturated = Publish(wake, sleepers, lines: 4000, everyMicroseconds: 40);
        Assert.InRange(saturated, 4000 / 13, 4000 / 11);

        // Keeping up again: back to one per 4 lines within a few dozen wake-ups.
        sleepers.Asleep = 100;
        Publish(wake, sleepers, lines: 400, everyMicroseconds: 40);
        int recovered = Publish(wake, sleepers, lines: 4000, everyMicroseconds: 40);
        Assert.InRange(recovered, 4000 / 5, 4000 / 3);
    }

    [Fact]
    public void A_room_at_a_moderate_rate_that_keeps_up_holds_a_line_at_most_the_window_of_four_lines()
    {
        // 100 readers, 5000 lines/s, every wake-up finds them asleep: 4 lines per wake-up, none held over 0.8 ms.
        var sleepers = _sleepers;
        sleepers.Asleep = 100;
        var wake = WakeStrategy.Create(sleepers, WakeCoalescing.Auto, _scheduler, _time);
        wake.ReadersChanged(100);
        int wakes = Publish(wake, sleepers, lines: 5000, everyMicroseconds: 200);

        Assert.InRange(wakes, 5000 / 5, 5000 / 3);
        Assert.InRange(sleepers.LongestWait, TimeSpan.FromMicroseconds(500), TimeSpan.FromMicroseconds(800));
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

    // Publishes lines one by one, a signal each, running deferred wake-ups when due; returns the wake-ups.
    private int Publish(WakeStrategy wake, Sleepers sleepers, int lines, int everyMicroseconds)
    {
        int before = sleepers.Wakes;
        for (int i = 0; i < lines; i++)
        {
            _time.Advance(TimeSpan.FromMicroseconds(everyMicroseconds));
            _scheduler.RunDue();
            sleepers.Publish();
            wake.Published();
            wake.Signal();
        }

        return sleepers.Wakes - before;
    }

    // A room's sleepers as the wake strategy sees them: how many are asleep at a wake-up is set by the test.
    private sealed class Sleepers(FakeTimeProvider time) : ISleeperGroup
    {
        private readonly Queue<DateTimeOffset> _waiting = new();

        public int Asleep { get; set; }

        public int Wakes { get; private set; }

        public TimeSpan LongestWait { get; private set; }

        public void Publish() => _waiting.Enqueue(time.GetUtcNow());

        public void Wake() => WakeAll();

        public int WakeAll()
        {
            Wakes++;
            while (_waiting.TryDequeue(out var published))
            {
                var waited = time.GetUtcNow() - published;
                LongestWait = waited > LongestWait ? waited : LongestWait;
            }

            return Asleep;
        }
    }
}
