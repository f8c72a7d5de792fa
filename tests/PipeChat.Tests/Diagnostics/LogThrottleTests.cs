using Microsoft.Extensions.Time.Testing;
using PipeChat.Diagnostics;

namespace PipeChat.Tests.Diagnostics;

public class LogThrottleTests
{
    [Fact]
    public void The_first_event_is_logged_then_one_per_interval_with_the_count_held_back()
    {
        var time = new FakeTimeProvider();
        var throttle = new LogThrottle(time, TimeSpan.FromSeconds(1));

        Assert.True(throttle.TryLog(out var suppressed));
        Assert.Equal(0, suppressed);

        for (var i = 0; i < 5; i++)
        {
            Assert.False(throttle.TryLog(out _));
        }

        time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.False(throttle.TryLog(out _));
        Assert.Equal(6, throttle.Suppressed);

        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(throttle.TryLog(out suppressed));
        Assert.Equal(6, suppressed);
        Assert.Equal(0, throttle.Suppressed);

        // A quiet spell: the next event is logged at once, nothing held back.
        time.Advance(TimeSpan.FromMinutes(5));
        Assert.True(throttle.TryLog(out suppressed));
        Assert.Equal(0, suppressed);
    }

    [Fact]
    public void Concurrent_events_let_exactly_one_line_through_and_count_every_other()
    {
        var time = new FakeTimeProvider();
        var throttle = new LogThrottle(time, TimeSpan.FromSeconds(1));
        var logged = 0;
        Parallel.For(0, 10_000, _ =>
        {
            if (throttle.TryLog(out _))
            {
                Interlocked.Increment(ref logged);
            }
        });

        Assert.Equal(1, logged);
        Assert.Equal(9_999, throttle.Suppressed);
    }

    [Fact]
    public void A_zero_interval_logs_every_event()
    {
        var throttle = new LogThrottle(new FakeTimeProvider(), TimeSpan.Zero);
        Assert.True(throttle.TryLog(out _));
        Assert.True(throttle.TryLog(out _));
    }
}
