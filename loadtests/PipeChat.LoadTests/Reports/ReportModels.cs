using PipeChat.LoadTests.Compare;
using PipeChat.LoadTests.Harness;

namespace PipeChat.LoadTests.Reports;

/// <summary>Everything a <c>run</c> report shows.</summary>
public sealed record RunReport(ScenarioStats Stats, IReadOnlyList<ThresholdResult> Thresholds, DateTimeOffset StartedAt);

/// <summary>One model × connection count of a <c>compare</c>.</summary>
/// <param name="Model">The server's connection model.</param>
/// <param name="Connections">The connection count.</param>
/// <param name="Stats">The measured stats, or null when the run did not happen.</param>
/// <param name="Server">What the sampler saw of the server, if anything.</param>
/// <param name="Error">Why the run failed or was skipped, if it did.</param>
/// <param name="Thresholds">Threshold outcomes for this run.</param>
public sealed record CompareRow(
    string Model,
    int Connections,
    ScenarioStats? Stats,
    ServerSample? Server,
    string? Error,
    IReadOnlyList<ThresholdResult> Thresholds)
{
    /// <summary>Gets what the rounds of this cell did when it ran more than once (<c>compare --rounds</c>), else null.</summary>
    public CompareRoundsInfo? Rounds { get; init; }
}

/// <summary>Everything a <c>compare</c> report shows.</summary>
public sealed record CompareReport(
    string Scenario,
    IReadOnlyList<string> Models,
    IReadOnlyList<int> Connections,
    IReadOnlyList<CompareRow> Rows,
    IReadOnlyDictionary<string, string> Settings,
    string ServerCommand,
    DateTimeOffset StartedAt)
{
    /// <summary>Gets how many rounds ran each cell (<c>compare --rounds</c>); 1 reports as before.</summary>
    public int Rounds { get; init; } = 1;
}
