using System.Diagnostics.Metrics;

namespace PipeChat.Diagnostics;

/// <summary>TLS counters of one server: handshakes, failures by reason, durations, connections open over TLS.</summary>
internal sealed class TlsStats
{
    /// <summary>Upper bounds (seconds) of the handshake duration buckets on /metrics.</summary>
    public static readonly double[] DurationBounds = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    // Made on first use: the meter's own initialisation reads DurationBounds.
    private static Histogram<double>? _durations;

    private readonly long[] _buckets = new long[DurationBounds.Length + 1];
    private long _handshakes;
    private long _timeouts;
    private long _protocolErrors;
    private long _otherFailures;
    private long _active;
    private long _reloads;
    private long _reloadFailures;

    public long Handshakes => Volatile.Read(ref _handshakes);

    public long Timeouts => Volatile.Read(ref _timeouts);

    public long ProtocolErrors => Volatile.Read(ref _protocolErrors);

    public long OtherFailures => Volatile.Read(ref _otherFailures);

    public long Failures => Timeouts + ProtocolErrors + OtherFailures;

    public long Active => Volatile.Read(ref _active);

    public long Reloads => Volatile.Read(ref _reloads);

    public long ReloadFailures => Volatile.Read(ref _reloadFailures);

    /// <summary>Handshakes that took at most <see cref="DurationBounds"/>[index] seconds (cumulative; the last index: all).</summary>
    public long HandshakesWithin(int index)
    {
        long sum = 0;
        for (var i = 0; i <= index && i < _buckets.Length; i++)
        {
            sum += Volatile.Read(ref _buckets[i]);
        }

        return sum;
    }

    public void OnHandshake(TimeSpan duration)
    {
        Interlocked.Increment(ref _handshakes);
        Interlocked.Increment(ref _active);
        var seconds = duration.TotalSeconds;
        var bucket = 0;
        while (bucket < DurationBounds.Length && seconds > DurationBounds[bucket])
        {
            bucket++;
        }

        Interlocked.Increment(ref _buckets[bucket]);
        var durations = Volatile.Read(ref _durations);
        if (durations is null)
        {
            durations = PipeChatMetrics.Meter.CreateHistogram<double>("pipechat.tls.handshake.duration", "s", "TLS handshake duration (completed handshakes)");
            durations = Interlocked.CompareExchange(ref _durations, durations, null) ?? durations;
        }

        durations.Record(seconds);
    }

    public void OnClosed() => Interlocked.Decrement(ref _active);

    public void OnFailed(TlsFailure reason)
    {
        switch (reason)
        {
            case TlsFailure.Timeout:
                Interlocked.Increment(ref _timeouts);
                break;
            case TlsFailure.Protocol:
                Interlocked.Increment(ref _protocolErrors);
                break;
            default:
                Interlocked.Increment(ref _otherFailures);
                break;
        }
    }

    public void OnReload(bool ok) => Interlocked.Increment(ref ok ? ref _reloads : ref _reloadFailures);
}
