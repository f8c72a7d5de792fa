using Microsoft.Extensions.Logging;

namespace PipeChat.Diagnostics;

/// <summary>
/// Counts how often one limit was hit and logs it at information, at most once a second (a flood of
/// hits must not become a flood of log lines): the line carries the total so far.
/// </summary>
public sealed class LimitCounter(string limit, ILogger? logger = null, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private long _count;
    private long _lastLog = long.MinValue;

    /// <summary>Times the limit was hit.</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <summary>Counts one hit (and logs, unless logged less than a second ago).</summary>
    public void Hit()
    {
        var count = Interlocked.Increment(ref _count);
        if (logger is null || !logger.IsEnabled(LogLevel.Information))
        {
            return;
        }

        var now = _time.GetTimestamp();
        var last = Interlocked.Read(ref _lastLog);
        if ((last == long.MinValue || now - last >= _time.TimestampFrequency)
            && Interlocked.CompareExchange(ref _lastLog, now, last) == last)
        {
            Log.LimitHit(logger, limit, count);
        }
    }
}
