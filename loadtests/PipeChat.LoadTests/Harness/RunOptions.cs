namespace PipeChat.LoadTests.Harness;

/// <summary>How progress is shown on standard error while a scenario runs.</summary>
public enum ProgressMode
{
    /// <summary>A live line when stderr is a terminal, else one plain line per interval.</summary>
    Auto,

    /// <summary>One line rewritten in place (<c>\r</c>).</summary>
    Live,

    /// <summary>One plain line per reporting interval.</summary>
    Lines,

    /// <summary>Nothing.</summary>
    Off,
}

/// <summary>Harness settings that are not part of a scenario.</summary>
public sealed record RunOptions
{
    /// <summary>Gets the length of a reporting interval.</summary>
    public TimeSpan ReportingInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets how progress is shown.</summary>
    public ProgressMode Progress { get; init; } = ProgressMode.Auto;

    /// <summary>Gets where progress goes (stderr when null).</summary>
    public TextWriter? ProgressWriter { get; init; }

    /// <summary>Gets how long copies may finish their current step after the end before they are aborted.</summary>
    public TimeSpan StopGrace { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Gets the bound for each of the Init and Clean hooks.</summary>
    public TimeSpan HookTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Gets the number of measured requests after which the run ends early (0: no limit).</summary>
    public long MaxRequests { get; init; }
}
