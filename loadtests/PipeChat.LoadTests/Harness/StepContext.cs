namespace PipeChat.LoadTests.Harness;

/// <summary>What the harness passes to each step call. Allocation-free.</summary>
public readonly struct StepContext
{
    /// <summary>Initializes a new instance of the <see cref="StepContext"/> struct.</summary>
    public StepContext(ScenarioContext scenario, int copyId, long scheduledTimestamp, CancellationToken cancellationToken)
    {
        Scenario = scenario;
        CopyId = copyId;
        ScheduledTimestamp = scheduledTimestamp;
        CancellationToken = cancellationToken;
    }

    /// <summary>Gets the scenario-wide context (stats, metrics, settings).</summary>
    public ScenarioContext Scenario { get; }

    /// <summary>Gets the copy (worker) running this step: 0 .. <see cref="ScenarioContext.Copies"/>-1.</summary>
    public int CopyId { get; }

    /// <summary>
    /// Gets the <see cref="System.Diagnostics.Stopwatch"/> timestamp at which an injected request was due
    /// (open model), or 0 in the closed model.
    /// </summary>
    public long ScheduledTimestamp { get; }

    /// <summary>Gets the token that is cancelled when the run is aborted.</summary>
    public CancellationToken CancellationToken { get; }
}
