using System.Collections.Concurrent;

namespace PipeChat.LoadTests.Harness;

/// <summary>Scenario-wide state shared by the Init/Clean hooks and every step call of one run.</summary>
public sealed class ScenarioContext
{
    private readonly TaskCompletionSource _stopping = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Initializes a new instance of the <see cref="ScenarioContext"/> class.</summary>
    public ScenarioContext(string name, int copies, StatsCollector stats, TextWriter log, CancellationToken cancellationToken)
    {
        Name = name;
        Copies = copies;
        Stats = stats;
        Log = log;
        CancellationToken = cancellationToken;
    }

    /// <summary>Gets the scenario's name.</summary>
    public string Name { get; }

    /// <summary>Gets the number of copies (workers) the run may use: step calls get CopyId below it.</summary>
    public int Copies { get; }

    /// <summary>Gets the collector for requests a step or a background loop records itself.</summary>
    public StatsCollector Stats { get; }

    /// <summary>Gets named scenario-specific numbers reported beside the standard stats (e.g. <c>lost</c>).</summary>
    public ConcurrentDictionary<string, double> Metrics { get; } = new(StringComparer.Ordinal);

    /// <summary>Gets named series over the measured time (e.g. the server's RSS), drawn in the reports.</summary>
    public ConcurrentDictionary<string, IReadOnlyList<SeriesPoint>> Series { get; } = new(StringComparer.Ordinal);

    /// <summary>Gets where hooks write diagnostics (stderr by default).</summary>
    public TextWriter Log { get; }

    /// <summary>Gets the token cancelled when the run is aborted (hard stop or user cancel).</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>Gets a value indicating whether the measured phase is over and copies should finish.</summary>
    public bool IsStopping => _stopping.Task.IsCompleted;

    /// <summary>Gets a task that completes when the measured phase is over.</summary>
    public Task Stopping => _stopping.Task;

    /// <summary>Gets or sets the scenario's own state (connections and the like), for its hooks.</summary>
    public object? State { get; set; }

    internal void SignalStopping() => _stopping.TrySetResult();
}
