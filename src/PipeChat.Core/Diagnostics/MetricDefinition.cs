namespace PipeChat.Diagnostics;

/// <summary>One metric: its instrument name, kind, unit, meaning and how to read it from a server.</summary>
public sealed record MetricDefinition(string Name, bool IsGauge, string Unit, string Description, Func<MetricsSource, long?> Read)
{
    /// <summary>The Prometheus name: dots to underscores, counters end in _total.</summary>
    public string PrometheusName => Name.Replace('.', '_') + (IsGauge ? string.Empty : "_total");

    /// <summary>
    /// A label that tells apart several series of one metric (e.g. reason="per-ip"): definitions
    /// that share a name are one instrument, one series per label value. Null: no extra label.
    /// </summary>
    public (string Name, string Value)? Label { get; init; }
}
