using System.Collections.Concurrent;
using System.Diagnostics;
using HdrHistogram;

namespace PipeChat.LoadTests.Harness;

/// <summary>
/// Thread-safe request counters and a latency recorder (HdrHistogram <see cref="Recorder"/>,
/// microseconds, 3 significant digits). Recording allocates nothing; the reporter takes
/// interval snapshots without stopping the writers.
/// </summary>
public sealed class StatsCollector
{
    /// <summary>The largest latency kept exactly (10 minutes); longer ones are clamped.</summary>
    public const long HighestTrackableMicros = 600_000_000;

    private readonly Recorder _recorder = HistogramFactory.With64BitBucketSize()
        .WithValuesFrom(1)
        .WithValuesUpTo(HighestTrackableMicros)
        .WithPrecisionOf(3)
        .WithThreadSafeWrites()
        .WithThreadSafeReads()
        .Create();

    private readonly LongHistogram _total = new(HighestTrackableMicros, 3);
    private readonly ConcurrentDictionary<string, long> _errors = new(StringComparer.Ordinal);
    private HistogramBase? _spare;
    private long[] _okPerConnection = [];
    private long _ok;
    private long _failed;
    private long _bytesIn;
    private long _bytesOut;
    private long _lastOk;
    private long _lastFailed;
    private long _lastBytesIn;
    private long _lastBytesOut;

    /// <summary>Gets the successful requests so far.</summary>
    public long Ok => Volatile.Read(ref _ok);

    /// <summary>Gets the failed requests so far.</summary>
    public long Failed => Volatile.Read(ref _failed);

    /// <summary>Gets the bytes received so far.</summary>
    public long BytesIn => Volatile.Read(ref _bytesIn);

    /// <summary>Gets the bytes sent so far.</summary>
    public long BytesOut => Volatile.Read(ref _bytesOut);

    /// <summary>Gets the failure counts by reason.</summary>
    public IReadOnlyDictionary<string, long> Errors => new SortedDictionary<string, long>(_errors, StringComparer.Ordinal);

    /// <summary>Gets the number of connections whose successes are counted one by one (0: not tracked).</summary>
    public int TrackedConnections => Volatile.Read(ref _okPerConnection).Length;

    /// <summary>Gets the tracked connections without a single successful request since the last <see cref="Reset"/>.</summary>
    public int StarvedConnections
    {
        get
        {
            int starved = 0;
            foreach (ref long ok in Volatile.Read(ref _okPerConnection).AsSpan())
            {
                starved += Volatile.Read(ref ok) == 0 ? 1 : 0;
            }

            return starved;
        }
    }

    /// <summary>Gets the latency histogram of every interval taken so far.</summary>
    public HistogramBase TotalHistogram => _total;

    /// <summary>Converts a <see cref="Stopwatch"/> tick count to microseconds.</summary>
    public static long TicksToMicros(long ticks) =>
        ticks <= 0 ? 0 : (long)((double)ticks * 1_000_000 / Stopwatch.Frequency);

    /// <summary>Records a successful request with its latency in <see cref="Stopwatch"/> ticks.</summary>
    public void RecordOk(long latencyTicks, long bytesOut = 0, long bytesIn = 0)
    {
        _recorder.RecordValue(Math.Min(TicksToMicros(latencyTicks), HighestTrackableMicros));
        Interlocked.Increment(ref _ok);
        AddBytes(bytesOut, bytesIn);
    }

    /// <summary>Counts successes per connection from now on, so reports can tell connections that never got a reply.</summary>
    public void TrackConnections(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        Volatile.Write(ref _okPerConnection, new long[count]);
    }

    /// <summary>Records a successful request of one tracked connection (see <see cref="TrackConnections"/>).</summary>
    public void RecordOk(int connection, long latencyTicks)
    {
        var perConnection = Volatile.Read(ref _okPerConnection);
        if ((uint)connection < (uint)perConnection.Length)
        {
            Interlocked.Increment(ref perConnection[connection]);
        }

        RecordOk(latencyTicks);
    }

    /// <summary>Records failed requests.</summary>
    public void RecordFail(string error, long count = 1, long bytesOut = 0, long bytesIn = 0)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (count > 0)
        {
            Interlocked.Add(ref _failed, count);
            _errors.AddOrUpdate(error, count, (_, old) => old + count);
        }

        AddBytes(bytesOut, bytesIn);
    }

    /// <summary>Counts traffic that is not part of a recorded request.</summary>
    public void AddBytes(long bytesOut, long bytesIn)
    {
        if (bytesOut != 0)
        {
            Interlocked.Add(ref _bytesOut, bytesOut);
        }

        if (bytesIn != 0)
        {
            Interlocked.Add(ref _bytesIn, bytesIn);
        }
    }

    /// <summary>Discards everything recorded so far (the end of a warm-up).</summary>
    public void Reset()
    {
        lock (_total)
        {
            _recorder.Reset();
            _total.Reset();
            Interlocked.Exchange(ref _ok, 0);
            Interlocked.Exchange(ref _failed, 0);
            Interlocked.Exchange(ref _bytesIn, 0);
            Interlocked.Exchange(ref _bytesOut, 0);
            _lastOk = _lastFailed = _lastBytesIn = _lastBytesOut = 0;
            _errors.Clear();
            var perConnection = Volatile.Read(ref _okPerConnection);
            for (int i = 0; i < perConnection.Length; i++)
            {
                Interlocked.Exchange(ref perConnection[i], 0);
            }
        }
    }

    /// <summary>
    /// Takes what was recorded since the previous call (or since <see cref="Reset"/>) and adds its
    /// latencies to <see cref="TotalHistogram"/>.
    /// </summary>
    public IntervalSample TakeInterval()
    {
        lock (_total)
        {
            var histogram = _spare is null ? _recorder.GetIntervalHistogram() : _recorder.GetIntervalHistogram(_spare);
            var latency = LatencyStats.From(histogram);
            _total.Add(histogram);
            _spare = histogram;

            long ok = Ok, failed = Failed, bytesIn = BytesIn, bytesOut = BytesOut;
            var sample = new IntervalSample(ok - _lastOk, failed - _lastFailed, bytesIn - _lastBytesIn, bytesOut - _lastBytesOut, latency);
            (_lastOk, _lastFailed, _lastBytesIn, _lastBytesOut) = (ok, failed, bytesIn, bytesOut);
            return sample;
        }
    }
}

/// <summary>What was recorded during one interval.</summary>
public sealed record IntervalSample(long Ok, long Failed, long BytesIn, long BytesOut, LatencyStats Latency);
