namespace PipeChat.LoadTests.Harness;

/// <summary>What one call of a scenario's step reports to the harness.</summary>
public readonly struct StepResult
{
    private StepResult(StepOutcome outcome, string? error, long bytesOut, long bytesIn)
    {
        Outcome = outcome;
        Error = error;
        BytesOut = bytesOut;
        BytesIn = bytesIn;
    }

    /// <summary>Gets how the step ended.</summary>
    public StepOutcome Outcome { get; }

    /// <summary>Gets the failure reason (a short, fixed text such as <c>timeout</c>).</summary>
    public string? Error { get; }

    /// <summary>Gets the bytes the step sent.</summary>
    public long BytesOut { get; }

    /// <summary>Gets the bytes the step received.</summary>
    public long BytesIn { get; }

    /// <summary>
    /// Gets a result telling the harness the step recorded its own requests (or had none) through
    /// <see cref="ScenarioContext.Stats"/>, so the harness records nothing.
    /// </summary>
    public static StepResult Handled => new(StepOutcome.Handled, null, 0, 0);

    /// <summary>One successful request; the harness measures its latency.</summary>
    public static StepResult Ok(long bytesOut = 0, long bytesIn = 0) => new(StepOutcome.Ok, null, bytesOut, bytesIn);

    /// <summary>One failed request.</summary>
    public static StepResult Fail(string error, long bytesOut = 0, long bytesIn = 0) =>
        new(StepOutcome.Fail, error, bytesOut, bytesIn);
}

/// <summary>How a step ended.</summary>
public enum StepOutcome
{
    /// <summary>The step recorded its own requests, if any.</summary>
    Handled,

    /// <summary>One successful request.</summary>
    Ok,

    /// <summary>One failed request.</summary>
    Fail,
}
