using System.Diagnostics;

namespace PipeChat.LoadTests.Harness;

/// <summary>The state of one run of a scenario.</summary>
internal sealed class ScenarioRun
{
    private static readonly TimeSpan ControlTick = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan LiveTick = TimeSpan.FromMilliseconds(250);
    private static readonly long InjectSlackTicks = Stopwatch.Frequency / 1000;

    private readonly ScenarioDefinition _scenario;
    private readonly RunOptions _options;
    private readonly LoadSchedule _measured;
    private readonly LoadSchedule _schedule;
    private readonly TimeSpan _warmUp;
    private readonly StatsCollector _stats = new();
    private readonly List<Task> _workers = [];
    private readonly List<IntervalStats> _intervals = [];
    private readonly int _copies;
    private readonly Lock _measureGate = new();
    private readonly CpuMeter _cpu = new();
    private readonly CpuMeter _intervalCpu = new();
    private int[] _running = [];
    private int _target;
    private long _nextInjected;
    private long _lagTicks;
    private long _lagCount;
    private long _lagMaxTicks;
    private long _startTs;
    private long _endTs = long.MaxValue;
    private volatile bool _measuring;
    private long _measureStartTs;
    private long _allocatedAtStart;
    private ScenarioContext _context = null!;
    private CancellationToken _abort;

    public ScenarioRun(ScenarioDefinition scenario, RunOptions options)
    {
        _scenario = scenario;
        _options = options;
        if (options.ReportingInterval <= TimeSpan.Zero)
        {
            throw new ArgumentException("the reporting interval must be positive", nameof(options));
        }

        _measured = new LoadSchedule(scenario.LoadSimulations);
        _warmUp = scenario.WarmUp > TimeSpan.Zero ? scenario.WarmUp : TimeSpan.Zero;
        var phases = new List<LoadSimulation>();
        if (_warmUp > TimeSpan.Zero)
        {
            phases.Add(ScenarioRunner.WarmUpPhase(_measured.Simulations[0], _warmUp));
        }

        phases.AddRange(_measured.Simulations);
        _schedule = new LoadSchedule(phases);
        if (_schedule.IsOpenModel && scenario.InjectConcurrency < 1)
        {
            throw new ArgumentException("InjectConcurrency must be at least 1", nameof(scenario));
        }

        _copies = _schedule.IsOpenModel ? scenario.InjectConcurrency : _schedule.MaxCopies;
    }

    public async Task<ScenarioStats> RunAsync(CancellationToken cancellationToken)
    {
        var hardLimit = _schedule.Duration + _options.StopGrace + (2 * _options.HookTimeout) + TimeSpan.FromSeconds(10);
        using var abortSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        abortSource.CancelAfter(hardLimit);
        _abort = abortSource.Token;
        _context = new ScenarioContext(_scenario.Name, _copies, _stats, _options.ProgressWriter ?? Console.Error, _abort);
        _running = new int[_copies];
        var progress = new ProgressReporter(_options, _scenario.Name, _measured.Duration);

        if (_scenario.Init is { } init)
        {
            try
            {
                await init(_context).WaitAsync(_options.HookTimeout, _abort).ConfigureAwait(false);
            }
            catch
            {
                _context.SignalStopping();
                await CleanAsync().ConfigureAwait(false);
                throw;
            }
        }

        progress.WarmUp(_warmUp);
        bool seenMeasuring = false;
        long intervalStartTs = 0, nextLiveTs = 0;
        long intervalTicks = ToTicks(_options.ReportingInterval);
        long endTs;

        _startTs = Stopwatch.GetTimestamp();
        if (_warmUp == TimeSpan.Zero)
        {
            BeginMeasuring(_startTs);
        }

        if (_schedule.IsOpenModel)
        {
            for (int i = 0; i < _copies; i++)
            {
                int id = i;
                _workers.Add(Task.Run(() => OpenWorkerAsync(id), CancellationToken.None));
            }
        }

        while (true)
        {
            long now = Stopwatch.GetTimestamp();
            var elapsed = Stopwatch.GetElapsedTime(_startTs, now);
            if (elapsed >= _schedule.Duration || _abort.IsCancellationRequested ||
                (_measuring && _options.MaxRequests > 0 && _stats.Ok + _stats.Failed >= _options.MaxRequests))
            {
                endTs = now;
                break;
            }

            if (!_measuring && elapsed >= _warmUp)
            {
                // closed model: what finished since the warm-up's end was discarded, so measuring starts now;
                // open model: the first measured request normally got here first (OpenWorkerAsync)
                BeginMeasuring(_schedule.IsOpenModel ? WarmUpEndTs : now);
            }

            if (_measuring && !seenMeasuring)
            {
                seenMeasuring = true;
                intervalStartTs = _measureStartTs;
            }

            if (!_schedule.IsOpenModel)
            {
                AdjustCopies(_schedule.CopiesAt(elapsed));
            }

            if (seenMeasuring && now - intervalStartTs >= intervalTicks)
            {
                var interval = TakeInterval(_measureStartTs, intervalStartTs, now, _intervalCpu.TakeWindow(), elapsed);
                intervalStartTs = now;
                progress.Interval(interval);
            }

            if (progress.IsLive && now >= nextLiveTs)
            {
                nextLiveTs = now + ToTicks(LiveTick);
                var shown = seenMeasuring ? Stopwatch.GetElapsedTime(_measureStartTs, now) : elapsed;
                progress.Live(shown.TotalSeconds, !seenMeasuring, _stats.Ok, _stats.Failed, LoadAt(elapsed), _intervals.LastOrDefault());
            }

            try
            {
                await Task.Delay(ControlTick, _abort).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // the loop ends at the top
            }
        }

        bool measured = _measuring;
        if (!measured)
        {
            // aborted or ended during warm-up: nothing measured
            BeginMeasuring(endTs);
        }

        if (!seenMeasuring)
        {
            intervalStartTs = _measureStartTs;
        }

        long measureStartTs = _measureStartTs;
        double cpuPercent = _cpu.PercentSinceStart();
        long allocated = GC.GetTotalAllocatedBytes() - _allocatedAtStart;
        long requests = _stats.Ok + _stats.Failed;
        double lastIntervalCpu = _intervalCpu.PercentSinceStart();
        Volatile.Write(ref _endTs, endTs);
        _context.SignalStopping();
        Volatile.Write(ref _target, 0);
        await StopWorkersAsync(abortSource).ConfigureAwait(false);
        await CleanAsync().ConfigureAwait(false);
        if (_schedule.IsOpenModel && _lagCount > 0)
        {
            // part of every open-model latency: the time between a request being due and its step starting
            _context.Metrics["inject_start_lag_mean_ms"] = 1000.0 * _lagTicks / _lagCount / Stopwatch.Frequency;
            _context.Metrics["inject_start_lag_max_ms"] = 1000.0 * _lagMaxTicks / Stopwatch.Frequency;
        }

        if (_schedule.IsOpenModel)
        {
            // requests that were due but never started: the workers were still busy when the stop grace ran out
            long taken = Math.Min(Interlocked.Read(ref _nextInjected), _schedule.TotalInjected);
            _context.Metrics["inject_not_started"] = _schedule.TotalInjected - taken;
        }

        if (measured && requests > 0)
        {
            // what the whole generator process allocated per measured request (socket paths should add ~0)
            _context.Metrics["generator_alloc_bytes_per_request"] = Math.Round((double)allocated / requests, 1);
        }

        var last = TakeInterval(measureStartTs, intervalStartTs, endTs, lastIntervalCpu, Stopwatch.GetElapsedTime(_startTs, endTs));
        bool tiny = last.DurationSeconds < 0.01 * _options.ReportingInterval.TotalSeconds;
        if (tiny && last.Ok == 0 && last.Failed == 0 && _intervals.Count > 1)
        {
            _intervals.RemoveAt(_intervals.Count - 1);
        }
        else
        {
            progress.Interval(last);
        }

        progress.Finish();
        return new ScenarioStats
        {
            Name = _scenario.Name,
            LoadSimulations = _measured.Simulations.Select(s => s.ToString()).ToArray(),
            DurationSeconds = Stopwatch.GetElapsedTime(measureStartTs, endTs).TotalSeconds,
            Ok = _stats.Ok,
            Failed = _stats.Failed,
            BytesIn = _stats.BytesIn,
            BytesOut = _stats.BytesOut,
            Latency = LatencyStats.From(_stats.TotalHistogram),
            Intervals = _intervals.ToArray(),
            Errors = _stats.Errors,
            Metrics = new SortedDictionary<string, double>(_context.Metrics, StringComparer.Ordinal),
            Series = new SortedDictionary<string, IReadOnlyList<SeriesPoint>>(_context.Series, StringComparer.Ordinal),
            GeneratorCpuPercent = cpuPercent,
            Settings = _scenario.Settings,
            Connections = _stats.TrackedConnections,
            StarvedConnections = _stats.StarvedConnections,
            WarmUpSeconds = _warmUp.TotalSeconds,
            RequestNoun = _scenario.RequestNoun,
        };
    }

    // When the warm-up was scheduled to end (the open model's measuring starts there).
    private long WarmUpEndTs => _startTs + ToTicks(_warmUp);

    // Ends the warm-up (once): what was recorded so far does not count, measuring starts at startTs.
    private void BeginMeasuring(long startTs)
    {
        lock (_measureGate)
        {
            if (_measuring)
            {
                return;
            }

            _stats.Reset();
            Interlocked.Exchange(ref _lagTicks, 0);
            Interlocked.Exchange(ref _lagCount, 0);
            Interlocked.Exchange(ref _lagMaxTicks, 0);
            _cpu.Restart();
            _intervalCpu.Restart();
            _allocatedAtStart = GC.GetTotalAllocatedBytes();
            _measureStartTs = startTs;
            _measuring = true;
        }
    }

    private static long ToTicks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    private double LoadAt(TimeSpan elapsed) =>
        _schedule.IsOpenModel ? _schedule.RatePerSecondAt(elapsed) : _schedule.CopiesAt(elapsed);

    private IntervalStats TakeInterval(long measureStartTs, long fromTs, long toTs, double cpuPercent, TimeSpan elapsed)
    {
        var sample = _stats.TakeInterval();
        double seconds = Stopwatch.GetElapsedTime(fromTs, toTs).TotalSeconds;
        var interval = new IntervalStats(
            _intervals.Count,
            Stopwatch.GetElapsedTime(measureStartTs, fromTs).TotalSeconds,
            seconds,
            sample.Ok,
            sample.Failed,
            seconds > 0 ? sample.Ok / seconds : 0,
            sample.BytesIn,
            sample.BytesOut,
            sample.Latency,
            LoadAt(elapsed >= _schedule.Duration ? _schedule.Duration - TimeSpan.FromTicks(1) : elapsed),
            cpuPercent);
        _intervals.Add(interval);
        return interval;
    }

    private void AdjustCopies(int target)
    {
        target = Math.Min(target, _copies);
        Volatile.Write(ref _target, target);
        for (int i = 0; i < target; i++)
        {
            if (Interlocked.CompareExchange(ref _running[i], 1, 0) == 0)
            {
                int id = i;
                _workers.Add(Task.Run(() => ClosedWorkerAsync(id), CancellationToken.None));
            }
        }
    }

    private async Task StopWorkersAsync(CancellationTokenSource abortSource)
    {
        var all = Task.WhenAll(_workers);
        try
        {
            await all.WaitAsync(_options.StopGrace, CancellationToken.None).ConfigureAwait(false);
            return;
        }
        catch (TimeoutException)
        {
            await abortSource.CancelAsync().ConfigureAwait(false);
        }

        try
        {
            await all.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            _context.Log.WriteLine($"[{_scenario.Name}] some copies did not stop in time; abandoning them");
        }
    }

    private async Task CleanAsync()
    {
        if (_scenario.Clean is not { } clean)
        {
            return;
        }

        try
        {
            await clean(_context).WaitAsync(_options.HookTimeout, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            _context.Log.WriteLine($"[{_scenario.Name}] clean did not finish: {ex.Message}");
        }
    }

    private async Task ClosedWorkerAsync(int id)
    {
        try
        {
            while (!_context.IsStopping && id < Volatile.Read(ref _target) && !_abort.IsCancellationRequested)
            {
                long start = Stopwatch.GetTimestamp();
                var outcome = await RunStepAsync(new StepContext(_context, id, 0, _abort), start, record: true).ConfigureAwait(false);
                if (outcome is null)
                {
                    break;
                }

                if (outcome == StepOutcome.Fail)
                {
                    // a step that fails at once must not starve the thread pool
                    await Task.Yield();
                }
            }
        }
        finally
        {
            Volatile.Write(ref _running[id], 0);
        }
    }

    private async Task OpenWorkerAsync(int id)
    {
        // Requests due before the end are all started, late if the workers were busy (their latency
        // then shows the wait: no coordinated omission); the stop grace bounds how late.
        while (!_abort.IsCancellationRequested)
        {
            long index = Interlocked.Increment(ref _nextInjected) - 1;
            if (_schedule.ScheduledTime(index) is not { } due)
            {
                return;
            }

            long dueTs = _startTs + ToTicks(due);
            if (dueTs > Volatile.Read(ref _endTs))
            {
                return; // the run ended early (max requests or abort)
            }

            long wait = dueTs - Stopwatch.GetTimestamp();
            if (wait > InjectSlackTicks)
            {
                try
                {
                    // timers fire about a millisecond late: wake up that much early; the step may then start
                    // slightly before it is due, and its latency counts from when it really started
                    var delay = Task.Delay(TimeSpan.FromSeconds((double)(wait - InjectSlackTicks) / Stopwatch.Frequency), _abort);
                    var first = await Task.WhenAny(delay, _context.Stopping).ConfigureAwait(false);
                    if (first == delay)
                    {
                        await delay.ConfigureAwait(false); // throws if aborted
                    }
                    else if (dueTs > Volatile.Read(ref _endTs))
                    {
                        return; // the run ended early (max requests) before this request was due
                    }
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }

            // Whether a request is measured follows from when it was due, not from when the control loop
            // noticed the warm-up's end: a stalled machine delays that tick (seen in CI: 65 of 100 measured).
            // The first measured request ends the warm-up itself, before its step can record anything.
            bool measured = due >= _warmUp;
            if (measured && !_measuring)
            {
                BeginMeasuring(WarmUpEndTs);
            }

            // a request taken before the end runs even if its worker woke up late
            long now = Stopwatch.GetTimestamp();
            if (measured)
            {
                RecordLag(now - dueTs);
            }

            long start = Math.Min(dueTs, now);
            var outcome = await RunStepAsync(new StepContext(_context, id, dueTs, _abort), start, measured).ConfigureAwait(false);
            if (outcome is null)
            {
                return;
            }

            if (outcome == StepOutcome.Fail)
            {
                await Task.Yield();
            }
        }
    }

    // How late injected requests start (timer and thread-pool delays, or all copies busy).
    private void RecordLag(long lagTicks)
    {
        lagTicks = Math.Max(0, lagTicks);
        Interlocked.Add(ref _lagTicks, lagTicks);
        Interlocked.Increment(ref _lagCount);
        long max = Volatile.Read(ref _lagMaxTicks);
        while (lagTicks > max)
        {
            long seen = Interlocked.CompareExchange(ref _lagMaxTicks, lagTicks, max);
            if (seen == max)
            {
                break;
            }

            max = seen;
        }
    }

    // Runs one step and records its result unless it is a warm-up request; null when the run is being aborted.
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<StepOutcome?> RunStepAsync(StepContext context, long latencyStart, bool record)
    {
        StepResult result;
        try
        {
            result = await _scenario.Step(context).ConfigureAwait(false);
        }
        catch (Exception) when (_abort.IsCancellationRequested)
        {
            // aborting closes sockets under running steps: whatever they throw then is not a failed request
            return null;
        }
#pragma warning disable CA1031 // a failing step is a failed request, whatever it threw
        catch (Exception ex)
#pragma warning restore CA1031
        {
            result = StepResult.Fail(FailureReason.Of(ex));
        }

        switch (record ? result.Outcome : StepOutcome.Handled)
        {
            case StepOutcome.Ok:
                _stats.RecordOk(Stopwatch.GetTimestamp() - latencyStart, result.BytesOut, result.BytesIn);
                break;
            case StepOutcome.Fail:
                _stats.RecordFail(result.Error ?? "failed", 1, result.BytesOut, result.BytesIn);
                break;
        }

        return result.Outcome;
    }
}
