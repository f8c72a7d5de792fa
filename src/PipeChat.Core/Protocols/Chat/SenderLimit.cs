namespace PipeChat.Protocols.Chat;

/// <summary>
/// One UDP chat source address's flood limits (docs/protocols.md): a token bucket of <c>rate</c> datagrams a second
/// with bursts up to <c>rate</c>, and the once-a-second allowance for <c>! not registered</c>.
/// Not thread-safe: <see cref="UdpChatRegistry{TKey}"/> uses it under its lock. Times are the registry's clock.
/// </summary>
internal sealed class SenderLimit(TimeSpan now, int rate)
{
    /// <summary>How often an address may be told it is not registered; also the bucket's time to refill.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(1);

    private double _tokens = rate;
    private TimeSpan _last = now;
    private TimeSpan _nextNotRegistered = now;

    /// <summary>Takes one datagram's token; false when the bucket is empty. A rate of 0 means unlimited.</summary>
    public bool TryTake(TimeSpan now, int rate)
    {
        TimeSpan elapsed = now - _last;
        _last = now;
        if (rate == 0)
        {
            return true;
        }

        _tokens = Math.Min(rate, _tokens + (elapsed.TotalSeconds * rate));
        if (_tokens < 1)
        {
            return false;
        }

        _tokens--;
        return true;
    }

    /// <summary>True (and the allowance used) when the last <c>! not registered</c> was a second ago or more.</summary>
    public bool TryNotRegistered(TimeSpan now)
    {
        if (now < _nextNotRegistered)
        {
            return false;
        }

        _nextNotRegistered = now + Window;
        return true;
    }

    /// <summary>
    /// True when this state is the same as a new one (bucket refilled, reply allowance back), so forgetting it
    /// changes nothing.
    /// </summary>
    public bool IsFresh(TimeSpan now) => now - _last >= Window && now >= _nextNotRegistered;
}
