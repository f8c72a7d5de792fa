namespace PipeChat.Protocols.Chat;

/// <summary>
/// Wakes at once unless the last wake-up was less than the room's window ago (<see cref="WakeCoalescing"/>; with
/// <see cref="WakeCoalescing.LinesPerWake"/> the window follows the room's line rate, <see cref="LineRateWindow"/>);
/// then one deferred wake-up, run by the <see cref="IWakeScheduler"/> when the window is up, takes every line
/// published meanwhile. A quiet room delivers at once; a busy one sends several lines per wake-up.
/// </summary>
internal sealed class CoalescedWake : WakeStrategy, IDeferredWake
{
    private readonly IWakeable _target;
    private readonly WakeCoalescing _coalescing;
    private readonly IWakeScheduler _scheduler;
    private readonly TimeProvider _time;

    // With WakeCoalescing.LinesPerWake: the window follows the room's line rate, _window is its ceiling.
    private readonly LineRateWindow? _rate;

    // The window in _time's timestamp units (it may depend on the room's size): 0 wakes at once.
    private long _window;
    private int _readers;
    private long _lastWake;
    private int _scheduled;

    public CoalescedWake(IWakeable target, WakeCoalescing coalescing, IWakeScheduler scheduler, TimeProvider time)
    {
        _target = target;
        _coalescing = coalescing;
        _scheduler = scheduler;
        _time = time;
        if (coalescing.LinesPerWake > 0)
        {
            _rate = new LineRateWindow(coalescing.LinesPerWake, Ticks(LineRateWindow.Shortest), Ticks(LineRateWindow.SaturatedLongest));
        }

        ReadersChanged(0);
    }

    /// <inheritdoc />
    public override bool Pending => Volatile.Read(ref _scheduled) != 0;

    /// <inheritdoc />
    public override void ReadersChanged(int readers)
    {
        Volatile.Write(ref _readers, readers);
        long window = Ticks(_coalescing.WindowFor(readers));
        Volatile.Write(ref _window, window);
        _rate?.SetCeiling(window);
    }

    /// <inheritdoc />
    public override void Published() => _rate?.OnLine(_time.GetTimestamp());

    /// <inheritdoc />
    public override void Signal()
    {
        long window = _rate?.Window ?? Volatile.Read(ref _window);
        if (window == 0)
        {
            WakeTarget();
            return;
        }

        if (_rate is { Full: true })
        {
            // The window's lines are all there: wake now (a deferred wake-up still due finds whoever sleeps then).
            WakeNow(_time.GetTimestamp());
            return;
        }

        if (Volatile.Read(ref _scheduled) != 0)
        {
            return; // The deferred wake-up is coming and will see this line.
        }

        long now = _time.GetTimestamp();
        long since = now - Volatile.Read(ref _lastWake);
        if (since >= window)
        {
            WakeNow(now);
            return;
        }

        if (Interlocked.Exchange(ref _scheduled, 1) == 0)
        {
            _scheduler.Schedule(this, TimeSpan.FromSeconds((double)(window - since) / _time.TimestampFrequency));
        }
    }

    /// <inheritdoc />
    public void RunDeferredWake()
    {
        // Cleared before the sleepers are taken: a signal that finds a sleeper parked after this point
        // schedules (or makes) the next wake-up itself.
        Interlocked.Exchange(ref _scheduled, 0);
        long now = _time.GetTimestamp();
        if (_rate is not null)
        {
            // The window's lines may have woken the room before this came due (see Signal): nothing new, no
            // wake-up; a few lines, the rest of the window from that wake-up. (A line whose signal found this
            // scheduled was counted before it: seen here, after the fence.)
            if (_rate.Waiting == 0)
            {
                return;
            }

            long since = now - Volatile.Read(ref _lastWake);
            long window = _rate.Window;
            if (since < window)
            {
                if (Interlocked.Exchange(ref _scheduled, 1) == 0)
                {
                    _scheduler.Schedule(this, TimeSpan.FromSeconds((double)(window - since) / _time.TimestampFrequency));
                }

                return;
            }
        }

        WakeNow(now);
    }

    private void WakeNow(long now)
    {
        Volatile.Write(ref _lastWake, now);
        WakeTarget();
    }

    private void WakeTarget()
    {
        if (_rate is null)
        {
            _target.Wake();
            return;
        }

        _rate.MarkWake();
        if (_target is ISleeperGroup sleepers)
        {
            // How many were asleep tells whether the room keeps up (see LineRateWindow.OnWake).
            _rate.OnWake(sleepers.WakeAll(), Volatile.Read(ref _readers));
        }
        else
        {
            _target.Wake();
        }
    }

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);
}
