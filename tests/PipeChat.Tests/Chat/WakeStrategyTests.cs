using Microsoft.Extensions.Time.Testing;
using PipeChat.Protocols;
using PipeChat.Protocols.Chat;

namespace PipeChat.Tests.Chat;

/// <summary>When a room's sleepers are woken: at once, or at most once per window, on a fake clock.</summary>
public class WakeStrategyTests
{
    private static readonly TimeSpan Window = TimeSpan.FromMilliseconds(2);

    private readonly FakeTimeProvider _time = new();
    private readonly ManualWakeScheduler _scheduler = new();
    private readonly CountingTarget _target = new();

    [Fact]
    public void Immediate_wakes_on_every_signal()
    {
        var wake = WakeStrategy.Create(_target, WakeCoalescing.Off, _scheduler, _time);
        wake.Signal();
        wake.Signal();
        Assert.Equal(2, _target.Wakes);
        Assert.Empty(_scheduler.Scheduled);
        Assert.False(wake.Pending);
    }

    [Fact]
    public void Coalescing_without_a_scheduler_wakes_at_once()
    {
        var wake = WakeStrategy.Create(_target, WakeCoalescing.Fixed(Window), scheduler: null, _time);
        Assert.IsType<ImmediateWake>(wake);
        wake.Signal();
        Assert.Equal(1, _target.Wakes);
    }

    [Fact]
    public void Signals_within_the_window_make_one_deferred_wake_up_due_when_the_window_is_up()
    {
        var wake = WakeStrategy.Create(_target, WakeCoalescing.Fixed(Window), _scheduler, _time);
        wake.Signal(); // quiet room: at once
        Assert.Equal(1, _target.Wakes);

        _time.Advance(TimeSpan.FromMilliseconds(0.5));
        wake.Signal();
        wake.Signal();
        wake.Signal();
        Assert.Equal(1, _target.Wakes);
        Assert.True(wake.Pending);
        var delay = Assert.Single(_scheduler.Scheduled).Delay;
        Assert.Equal(TimeSpan.FromMilliseconds(1.5), delay);

        _time.Advance(delay);
        _scheduler.RunAll();
        Assert.Equal(2, _target.Wakes);
        Assert.False(wake.Pending);
    }

    [Fact]
    public void A_signal_after_the_window_wakes_at_once()
    {
        var wake = WakeStrategy.Create(_target, WakeCoalescing.Fixed(Window), _scheduler, _time);
        for (int i = 1; i <= 5; i++)
        {
            wake.Signal();
            Assert.Equal(i, _target.Wakes);
            _time.Advance(Window);
        }

        Assert.Empty(_scheduler.Scheduled);
    }

    [Fact]
    public void A_deferred_wake_up_restarts_the_window()
    {
        var wake = WakeStrategy.Create(_target, WakeCoalescing.Fixed(Window), _scheduler, _time);
        wake.Signal();
        wake.Signal();
        _time.Advance(Window);
        Assert.Equal(1, _scheduler.RunAll());
        Assert.Equal(2, _target.Wakes);

        // Right after the deferred wake-up: held back again, for a whole window.
        wake.Signal();
        Assert.Equal(2, _target.Wakes);
        Assert.Equal(Window, Assert.Single(_scheduler.Scheduled).Delay);
    }

    [Fact]
    public void The_window_follows_the_room_size()
    {
        // 1 ms per reader from 3 ms: 2 readers wake at once, 10 readers once per 10 ms.
        var policy = new WakeCoalescing { WindowPerMember = TimeSpan.FromMilliseconds(1), MinWindow = TimeSpan.FromMilliseconds(3) };
        var wake = WakeStrategy.Create(_target, policy, _scheduler, _time);
        wake.ReadersChanged(2);
        wake.Signal();
        wake.Signal();
        Assert.Equal(2, _target.Wakes);

        Assert.Empty(_scheduler.Scheduled);

        wake.ReadersChanged(10);
        wake.Signal();
        wake.Signal();
        Assert.Equal(3, _target.Wakes);
        Assert.Equal(TimeSpan.FromMilliseconds(10), Assert.Single(_scheduler.Scheduled).Delay);

        // Back to 2 readers: at once again.
        _scheduler.RunAll();
        wake.ReadersChanged(2);
        wake.Signal();
        Assert.Equal(5, _target.Wakes);
    }

    private sealed class CountingTarget : IWakeable
    {
        public int Wakes { get; private set; }

        public void Wake() => Wakes++;
    }
}
