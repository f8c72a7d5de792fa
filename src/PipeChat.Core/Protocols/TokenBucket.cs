namespace PipeChat.Protocols;

/// <summary>
/// A token bucket: <c>rate</c> tokens a second, holding at most <c>burst</c>. Sans-I/O: it only answers
/// "may one more go now, and if not, how long until it may", reading time from a <see cref="TimeProvider"/>.
/// Not thread-safe: one caller at a time (a connection's input path). Allocates nothing per call.
/// </summary>
public sealed class TokenBucket
{
    private readonly TimeProvider _time;
    private readonly double _rate;
    private readonly double _burst;
    private double _tokens;
    private long _last;

    /// <summary>A full bucket: the first <paramref name="burst"/> takes go at once.</summary>
    public TokenBucket(double rate, double burst, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rate);
        ArgumentOutOfRangeException.ThrowIfLessThan(burst, 1);
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
        _rate = rate;
        _burst = burst;
        _tokens = burst;
        _last = time.GetTimestamp();
    }

    /// <summary>A bucket of <paramref name="perSecond"/> a second with bursts of as many; null (no limit) for 0.</summary>
    public static TokenBucket? PerSecond(int perSecond, TimeProvider time) =>
        perSecond == 0 ? null : new TokenBucket(perSecond, perSecond, time);

    /// <summary>Takes one token: <see cref="TimeSpan.Zero"/> if it was there, else how long until one is.</summary>
    public TimeSpan Take()
    {
        var now = _time.GetTimestamp();
        var elapsed = (now - _last) / (double)_time.TimestampFrequency;
        _last = now;

        // However long the silence, the bucket never holds more than one burst.
        _tokens = Math.Min(_burst, _tokens + (elapsed * _rate));
        if (_tokens >= 1)
        {
            _tokens -= 1;
            return TimeSpan.Zero;
        }

        // At least a tick: zero would mean "taken".
        return TimeSpan.FromTicks(Math.Max(1, (long)Math.Ceiling((1 - _tokens) / _rate * TimeSpan.TicksPerSecond)));
    }
}
