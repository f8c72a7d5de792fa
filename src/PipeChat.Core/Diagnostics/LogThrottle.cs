namespace PipeChat.Diagnostics;

/// <summary>
/// Lets through at most one log line per interval for one kind of event and counts the events
/// it held back, so that the next line can say how many were suppressed. A flood of rejected
/// connections or failed accepts then costs one line a second, not one line per event.
/// Thread-safe and lock-free; time comes from a <see cref="TimeProvider"/>.
/// </summary>
internal sealed class LogThrottle
{
    private readonly TimeProvider _time;
    private readonly long _intervalTimestamps;
    private long _next = long.MinValue;
    private long _suppressed;

    public LogThrottle(TimeProvider time, TimeSpan interval)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThan(interval, TimeSpan.Zero);
        _time = time;
        _intervalTimestamps = (long)(interval.TotalSeconds * time.TimestampFrequency);
    }

    /// <summary>One line a second, on the system clock.</summary>
    public LogThrottle()
        : this(TimeProvider.System, TimeSpan.FromSeconds(1))
    {
    }

    /// <summary>Events held back since the last line that was let through.</summary>
    public long Suppressed => Volatile.Read(ref _suppressed);

    /// <summary>
    /// Records one event. True when this event should be logged; then <paramref name="suppressed"/>
    /// is the number of events held back since the previous logged one (and the count restarts).
    /// </summary>
    public bool TryLog(out long suppressed)
    {
        var now = _time.GetTimestamp();
        var next = Volatile.Read(ref _next);
        if (now >= next && Interlocked.CompareExchange(ref _next, now + _intervalTimestamps, next) == next)
        {
            suppressed = Interlocked.Exchange(ref _suppressed, 0);
            return true;
        }

        Interlocked.Increment(ref _suppressed);
        suppressed = 0;
        return false;
    }
}
