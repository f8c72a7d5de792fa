using PipeChat.LoadTests.Harness;

namespace PipeChat.Tests.LoadTests;

[Collection(LoadTestsSerial.Name)]
public class ScenarioRunnerTests : IClassFixture<ScenarioRunnerTests.JitWarmUp>
{
    private static readonly RunOptions Quiet = new() { Progress = ProgressMode.Off, ReportingInterval = TimeSpan.FromMilliseconds(250) };

    [Fact]
    public async Task Closed_model_runs_copies_calls_hooks_once_and_reports_intervals()
    {
        int inits = 0, cleans = 0, maxCopyId = -1;
        var scenario = new ScenarioDefinition
        {
            Name = "synthetic",
            Init = ctx => { Interlocked.Increment(ref inits); return Task.CompletedTask; },
            Clean = ctx => { Interlocked.Increment(ref cleans); ctx.Metrics["cleaned"] = 1; return Task.CompletedTask; },
            Step = async ctx =>
            {
                InterlockedMax(ref maxCopyId, ctx.CopyId);
                await Task.Delay(2, ctx.CancellationToken);
                return StepResult.Ok(10, 20);
            },
            WarmUp = TimeSpan.FromMilliseconds(300),
            LoadSimulations = [LoadSimulation.KeepConstant(4, TimeSpan.FromSeconds(1))],
        };

        var stats = await ScenarioRunner.RunAsync(scenario, Quiet);

        Assert.Equal((1, 1), (inits, cleans));
        Assert.Equal(3, maxCopyId);
        Assert.True(stats.Ok > 50, $"ok = {stats.Ok}");
        Assert.Equal(0, stats.Failed);
        Assert.Equal(stats.Ok * 10, stats.BytesOut);
        // measuring starts when the control loop sees the warm-up end: later on a busy machine
        Assert.InRange(stats.DurationSeconds, 0.2, 2);
        Assert.InRange(stats.Intervals.Count, 1, 6);
        Assert.Equal(stats.Ok, stats.Intervals.Sum(i => i.Ok));
        Assert.True(stats.Latency.P50Us >= 1000, $"p50 {stats.Latency.P50Us} us for a 2 ms step");
        Assert.Equal(1, stats.Metrics["cleaned"]);
        Assert.Equal(4, stats.Intervals[0].TargetLoad);
    }

    [Fact]
    public async Task Open_model_injects_the_scheduled_number_of_requests()
    {
        var scenario = new ScenarioDefinition
        {
            Name = "inject",
            Step = _ => ValueTask.FromResult(StepResult.Ok()),
            InjectConcurrency = 4,

            // No warm-up here: its end is a control tick, which a stalled machine delays, moving
            // scheduled requests into the warm-up (seen in CI: 151 of 200). Warm_up_is_not_measured covers it.
            WarmUp = TimeSpan.Zero,
            LoadSimulations = [LoadSimulation.Inject(200, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1))],
        };

        var stats = await ScenarioRunner.RunAsync(scenario, Quiet);

        // Every request due in the 1 s phase is started (late if need be): the count is the schedule's.
        Assert.True(stats.Ok is >= 199 and <= 201, $"ok {stats.Ok}; intervals {string.Join(" ", stats.Intervals.Select(i => $"{i.StartSeconds:0.###}+{i.DurationSeconds:0.###}:{i.Ok}"))}; metrics {string.Join(" ", stats.Metrics.Select(m => $"{m.Key}={m.Value}"))}");
        Assert.True(stats.Metrics.ContainsKey("inject_start_lag_mean_ms"));
        Assert.Equal(0, stats.Metrics["inject_not_started"]);
    }

    [Fact]
    public async Task Warm_up_is_not_measured()
    {
        long calls = 0;
        var scenario = new ScenarioDefinition
        {
            Name = "warm",
            WarmUp = TimeSpan.FromMilliseconds(500),
            Step = _ => { Interlocked.Increment(ref calls); return ValueTask.FromResult(StepResult.Ok()); },
            InjectConcurrency = 2,
            LoadSimulations = [LoadSimulation.Inject(100, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1))],
        };

        var stats = await ScenarioRunner.RunAsync(scenario, Quiet);

        Assert.True(calls is >= 148 and <= 150, $"{calls} calls; lag max {stats.Metrics.GetValueOrDefault("inject_start_lag_max_ms")} ms; not started {stats.Metrics.GetValueOrDefault("inject_not_started")}; intervals {string.Join(" ", stats.Intervals.Select(i => $"{i.StartSeconds:0.###}+{i.DurationSeconds:0.###}:{i.Ok}"))}");
        // exactly the requests due after the warm-up are measured, however late the control loop runs
        // (it once saw the warm-up's end 350 ms late in CI and measured 65)
        Assert.InRange(stats.Ok, 99, 101);
        Assert.True(calls - stats.Ok >= 47, $"{calls} calls, {stats.Ok} measured: the warm-up was counted");
    }

    [Fact]
    public async Task Failures_and_exceptions_are_counted_by_reason()
    {
        long n = 0;
        var scenario = new ScenarioDefinition
        {
            Name = "failing",
            Step = async _ =>
            {
                await Task.Yield();
                return (Interlocked.Increment(ref n) % 3) switch
                {
                    0 => throw new TimeoutException(),
                    1 => StepResult.Fail("bad reply"),
                    _ => StepResult.Ok(),
                };
            },
            InjectConcurrency = 2,
            LoadSimulations = [LoadSimulation.Inject(300, TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(500))],
        };

        var stats = await ScenarioRunner.RunAsync(scenario, Quiet);

        // without a warm-up every injected request is measured, late ones included
        Assert.Equal(150, stats.Ok + stats.Failed);
        Assert.Equal(50, stats.Errors[FailureReason.Timeout]);
        Assert.Equal(50, stats.Errors["bad reply"]);
        Assert.Equal(stats.Failed, stats.Errors.Values.Sum());
        Assert.Equal(2.0 / 3, stats.FailRate, 1);
    }

    [Fact]
    public async Task Max_requests_ends_the_run_early()
    {
        var scenario = new ScenarioDefinition
        {
            Name = "bounded",
            Step = async ctx => { await Task.Delay(1, ctx.CancellationToken); return StepResult.Ok(); },
            LoadSimulations = [LoadSimulation.KeepConstant(2, TimeSpan.FromSeconds(30))],
        };

        var started = DateTime.UtcNow;
        var stats = await ScenarioRunner.RunAsync(scenario, Quiet with { MaxRequests = 100 });

        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10));
        Assert.InRange(stats.Ok, 100, 200);
    }

    [Fact]
    public async Task A_failing_init_propagates_and_clean_still_runs()
    {
        bool cleaned = false;
        var scenario = new ScenarioDefinition
        {
            Name = "broken",
            Init = _ => throw new InvalidOperationException("cannot connect"),
            Clean = _ => { cleaned = true; return Task.CompletedTask; },
            Step = _ => ValueTask.FromResult(StepResult.Ok()),
            LoadSimulations = [LoadSimulation.KeepConstant(1, TimeSpan.FromSeconds(1))],
        };

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => ScenarioRunner.RunAsync(scenario, Quiet));
        Assert.Equal("cannot connect", ex.Message);
        Assert.True(cleaned);
    }

    [Fact]
    public async Task A_step_that_never_returns_is_aborted_after_the_stop_grace()
    {
        var scenario = new ScenarioDefinition
        {
            Name = "stuck",
            Step = async ctx => { await Task.Delay(Timeout.Infinite, ctx.CancellationToken); return StepResult.Ok(); },
            LoadSimulations = [LoadSimulation.KeepConstant(3, TimeSpan.FromMilliseconds(300))],
        };

        var started = DateTime.UtcNow;
        var stats = await ScenarioRunner.RunAsync(scenario, Quiet with { StopGrace = TimeSpan.FromMilliseconds(300) });

        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5));
        Assert.Equal(0, stats.Ok + stats.Failed);
    }

    [Fact]
    public async Task Lines_progress_writes_one_line_per_interval()
    {
        var writer = new StringWriter();
        var scenario = new ScenarioDefinition
        {
            Name = "progress",
            Step = async ctx => { await Task.Delay(1, ctx.CancellationToken); return StepResult.Ok(); },
            LoadSimulations = [LoadSimulation.KeepConstant(1, TimeSpan.FromMilliseconds(600))],
        };

        await ScenarioRunner.RunAsync(scenario, Quiet with { Progress = ProgressMode.Lines, ProgressWriter = writer });

        var lines = writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.InRange(lines.Length, 1, 4);
        Assert.All(lines, l => Assert.StartsWith("[progress] ", l, StringComparison.Ordinal));
        Assert.Contains("rps", lines[0], StringComparison.Ordinal);
    }

    /// <summary>Runs the harness once before the timing-sensitive tests, so JIT and thread-pool start-up are not measured.</summary>
    public sealed class JitWarmUp : IAsyncLifetime
    {
        public async Task InitializeAsync()
        {
            var closed = new ScenarioDefinition
            {
                Name = "jit",
                Step = async ctx => { await Task.Delay(1, ctx.CancellationToken); return StepResult.Ok(); },
                LoadSimulations = [LoadSimulation.KeepConstant(2, TimeSpan.FromMilliseconds(200))],
            };
            var open = new ScenarioDefinition
            {
                Name = "jit",
                Step = _ => ValueTask.FromResult(StepResult.Ok()),
                LoadSimulations = [LoadSimulation.Inject(100, TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(200))],
            };
            await ScenarioRunner.RunAsync(closed, Quiet);
            await ScenarioRunner.RunAsync(open, Quiet);
        }

        public Task DisposeAsync() => Task.CompletedTask;
    }

    private static void InterlockedMax(ref int location, int value)
    {
        int current;
        while ((current = Volatile.Read(ref location)) < value && Interlocked.CompareExchange(ref location, value, current) != current)
        {
        }
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LoadTestsSerial
{
    public const string Name = "LoadTests (timing-sensitive, run alone)";
}
