namespace PipeChat.LoadTests.Harness;

/// <summary>Runs one scenario: Init, warm-up, load simulations with interval stats, Clean.</summary>
public static class ScenarioRunner
{
    /// <summary>Runs <paramref name="scenario"/> to its end and returns the measured stats.</summary>
    /// <exception cref="ArgumentException">The scenario's simulations are invalid.</exception>
    public static async Task<ScenarioStats> RunAsync(
        ScenarioDefinition scenario,
        RunOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        var run = new ScenarioRun(scenario, options ?? new RunOptions());
        return await run.RunAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The warm-up phase: the first phase's target, held for <paramref name="warmUp"/>.</summary>
    public static LoadSimulation WarmUpPhase(LoadSimulation first, TimeSpan warmUp)
    {
        ArgumentNullException.ThrowIfNull(first);
        return first.IsOpenModel
            ? LoadSimulation.Inject(first.Rate, first.Interval, warmUp)
            : LoadSimulation.KeepConstant(first.Copies, warmUp);
    }
}
