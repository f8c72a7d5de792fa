namespace PipeChat.LoadTests.Harness;

/// <summary>Numbers of one reporting interval.</summary>
public sealed record IntervalStats(
    int Index,
    double StartSeconds,
    double DurationSeconds,
    long Ok,
    long Failed,
    double Rps,
    long BytesIn,
    long BytesOut,
    LatencyStats Latency,
    double TargetLoad,
    double CpuPercent);

/// <summary>One point of a scenario's series: seconds since the scenario's load started, and a value.</summary>
public readonly record struct SeriesPoint(double Seconds, double Value);

/// <summary>The measured outcome of one scenario run (warm-up excluded).</summary>
public sealed record ScenarioStats
{
    /// <summary>Gets the scenario's name.</summary>
    public required string Name { get; init; }

    /// <summary>Gets the load phases as text.</summary>
    public required IReadOnlyList<string> LoadSimulations { get; init; }

    /// <summary>Gets the measured wall time in seconds.</summary>
    public required double DurationSeconds { get; init; }

    /// <summary>Gets the successful requests.</summary>
    public required long Ok { get; init; }

    /// <summary>Gets the failed requests.</summary>
    public required long Failed { get; init; }

    /// <summary>Gets the connections whose successes were counted one by one (0: the scenario does not track them).</summary>
    public int Connections { get; init; }

    /// <summary>Gets the tracked connections that had not one successful request in the measured window.</summary>
    public int StarvedConnections { get; init; }

    /// <summary>Gets how long the discarded warm-up ran, in seconds.</summary>
    public double WarmUpSeconds { get; init; }

    /// <summary>Gets what one request is counted as, plural (e.g. <c>requests</c>, <c>lines delivered</c>).</summary>
    public string RequestNoun { get; init; } = ScenarioDefinition.DefaultRequestNoun;

    /// <summary>Gets the successful requests per second.</summary>
    public double Rps => DurationSeconds > 0 ? Ok / DurationSeconds : 0;

    /// <summary>Gets the failed share of all requests (0 when there were none).</summary>
    public double FailRate => Ok + Failed > 0 ? (double)Failed / (Ok + Failed) : 0;

    /// <summary>Gets the bytes received.</summary>
    public required long BytesIn { get; init; }

    /// <summary>Gets the bytes sent.</summary>
    public required long BytesOut { get; init; }

    /// <summary>Gets the latency of successful requests.</summary>
    public required LatencyStats Latency { get; init; }

    /// <summary>Gets the per-interval numbers.</summary>
    public required IReadOnlyList<IntervalStats> Intervals { get; init; }

    /// <summary>Gets the failure counts by reason.</summary>
    public required IReadOnlyDictionary<string, long> Errors { get; init; }

    /// <summary>Gets scenario-specific numbers (e.g. <c>lost</c>, <c>established</c>).</summary>
    public required IReadOnlyDictionary<string, double> Metrics { get; init; }

    /// <summary>Gets named series over time (seconds since the scenario started, value), e.g. <c>server_rss_mib</c>.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<SeriesPoint>> Series { get; init; } = new Dictionary<string, IReadOnlyList<SeriesPoint>>();

    /// <summary>Gets the load generator's CPU use over the measured time, in percent of one core.</summary>
    public required double GeneratorCpuPercent { get; init; }

    /// <summary>Gets the number of cores the generator could use.</summary>
    public int ProcessorCount { get; init; } = Environment.ProcessorCount;

    /// <summary>Gets the descriptive settings of the scenario.</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();
}
