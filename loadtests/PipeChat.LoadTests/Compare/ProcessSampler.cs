using System.Diagnostics;

namespace PipeChat.LoadTests.Compare;

/// <summary>Samples a process's RSS, peak RSS, threads and CPU from /proc at a fixed interval.</summary>
public sealed class ProcessSampler : IAsyncDisposable
{
    private readonly int _pid;
    private readonly TimeSpan _interval;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly ProcStatus? _first;
    private readonly long _firstTs;
    private ProcStatus? _last;
    private long _lastTs;
    private long _peakRss;
    private long _hwm;
    private int _maxThreads;
    private int _samples;

    /// <summary>Initializes a new instance of the <see cref="ProcessSampler"/> class and takes the first sample.</summary>
    public ProcessSampler(int pid, TimeSpan interval)
    {
        _pid = pid;
        _interval = interval > TimeSpan.Zero ? interval : TimeSpan.FromMilliseconds(100);
        _firstTs = Stopwatch.GetTimestamp();
        _first = ProcStatus.Read(pid);
        Take(_first, _firstTs);
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>Samples taken so far.</summary>
    public int Samples => Volatile.Read(ref _samples);

    /// <summary>Stops sampling and summarizes what was seen.</summary>
    public async Task<ServerSample> StopAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        long now = Stopwatch.GetTimestamp();
        Take(ProcStatus.Read(_pid), now);
        double cpu = 0;
        if (_first is not null && _last is not null && _lastTs > _firstTs)
        {
            double wall = Stopwatch.GetElapsedTime(_firstTs, _lastTs).TotalSeconds;
            cpu = 100.0 * (_last.CpuTicks - _first.CpuTicks) / ProcStatus.TicksPerSecond / wall;
        }

        return new ServerSample(_first?.RssKb ?? 0, _peakRss, _hwm, _maxThreads, cpu, _samples);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync().ConfigureAwait(false);
        }

        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task LoopAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                await Task.Delay(_interval, _stop.Token).ConfigureAwait(false);
                Take(ProcStatus.Read(_pid), Stopwatch.GetTimestamp());
            }
        }
        catch (OperationCanceledException)
        {
            // stopped
        }
    }

    private void Take(ProcStatus? status, long timestamp)
    {
        if (status is null)
        {
            return;
        }

        lock (_stop)
        {
            _last = status;
            _lastTs = timestamp;
            _peakRss = Math.Max(_peakRss, Math.Max(status.RssKb, 0));

            // The kernel updates VmHWM lazily (at unmaps), so a later VmHWM can be below an
            // earlier VmRSS: the peak is the largest of both ever seen.
            _hwm = Math.Max(_hwm, Math.Max(status.HwmKb, status.RssKb));
            _maxThreads = Math.Max(_maxThreads, status.Threads);
            _samples++;
        }
    }
}
