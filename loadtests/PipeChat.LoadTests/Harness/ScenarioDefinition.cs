namespace PipeChat.LoadTests.Harness;

/// <summary>An NBomber-style scenario: hooks, warm-up, a step run by copies, and load simulations.</summary>
public sealed class ScenarioDefinition
{
    /// <summary>What a request is called when the scenario does not say.</summary>
    public const string DefaultRequestNoun = "requests";

    /// <summary>Gets what one request is counted as in reports, plural (chat: <c>lines delivered</c>).</summary>
    public string RequestNoun { get; init; } = DefaultRequestNoun;

    /// <summary>Gets the scenario's name (used in reports).</summary>
    public required string Name { get; init; }

    /// <summary>Gets the step: one request (or one round of requests the step records itself).</summary>
    public required Func<StepContext, ValueTask<StepResult>> Step { get; init; }

    /// <summary>Gets the load phases, in order.</summary>
    public required IReadOnlyList<LoadSimulation> LoadSimulations { get; init; }

    /// <summary>Gets the hook run once before the load starts (connect, handshake).</summary>
    public Func<ScenarioContext, Task>? Init { get; init; }

    /// <summary>Gets the hook run once after the load stopped (drain, verify, close).</summary>
    public Func<ScenarioContext, Task>? Clean { get; init; }

    /// <summary>
    /// Gets how long to run before measuring. The warm-up holds the first phase's target
    /// (its copies, or its rate) and its numbers are discarded.
    /// </summary>
    public TimeSpan WarmUp { get; init; }

    /// <summary>
    /// Gets the number of workers serving injected requests in the open model (each owns a CopyId);
    /// a request due while all are busy starts late, and its latency still counts from when it was due.
    /// </summary>
    public int InjectConcurrency { get; init; } = 100;

    /// <summary>Gets thresholds the scenario always checks besides the user's (e.g. flood: <c>readers_cut = 0</c>).</summary>
    public IReadOnlyList<Threshold> Thresholds { get; init; } = [];

    /// <summary>Gets descriptive settings shown in reports (target, sizes, ...).</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();
}
