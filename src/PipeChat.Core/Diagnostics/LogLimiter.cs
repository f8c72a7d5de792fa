namespace PipeChat.Diagnostics;

/// <summary>
/// Lets one log line through per interval and counts the ones held back, so a flood of the same event
/// (hostile clients, a storm of cut-offs) costs a line a second, not a line per event. Thread-safe.
/// </summary>
internal sealed class LogLimiter
{
    private readonly TimeProvider _time;
    private readonly long _intervalTicks;
    private long _nextTimestamp = long.MinValue;
    private long _suppressed;

    /// <summary>Creates a limiter letting one line through per <paramref name="interval"/> (default 1 s).</summary>
    public LogLimiter(TimeProvider? time = null, TimeSpan? interval = null)
    {
        _time = time ?? TimeProvider.System;
        _intervalTicks = (long)((interval ?? TimeSpan.FromSeconds(1)).TotalSeconds * _time.TimestampFrequency);
    }

    /// <summary>
    /// True when this event should be logged; <paramref name="suppressed"/> is then how many were held back
    /// since the last one logged. False means count it and stay quiet.
    /// </summary>
    public bool TryLog(out long suppressed)
    {
        long now = _time.GetTimestamp();
        long next = Volatile.Read(ref _nextTimestamp);
        if (now < next || Interlocked.CompareExchange(ref _nextTimestamp, now + _intervalTicks, next) != next)
        {
            Interlocked.Increment(ref _suppressed);
            suppressed = 0;
            return false;
        }

        suppressed = Interlocked.Exchange(ref _suppressed, 0);
        return true;
    }
}
