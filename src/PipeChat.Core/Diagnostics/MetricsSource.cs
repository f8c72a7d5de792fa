namespace PipeChat.Diagnostics;

/// <summary>What one running server exposes to the meter.</summary>
public sealed record MetricsSource
{
    public required ServerStats Stats { get; init; }

    public required string Model { get; init; }

    public required string Protocol { get; init; }

    public required string Transport { get; init; }

    public Func<long>? MessagesEchoed { get; init; }

    public Func<long>? LinesRelayed { get; init; }

    public Func<long>? MembersCutOff { get; init; }

    public Func<long>? Registrations { get; init; }

    public Func<long>? IdleTimeouts { get; init; }

    public Func<long>? LineTimeouts { get; init; }

    public Func<long>? InputPauses { get; init; }
    public Func<long>? DatagramsDropped { get; init; }

    /// <summary>Chat cluster: 1 while the link to the NATS server is up, 0 while it is down; null outside a cluster.</summary>
    public Func<long>? ClusterLinked { get; init; }

    public Func<long>? ClusterLinesOut { get; init; }

    public Func<long>? ClusterLinesIn { get; init; }

    public Func<long>? ClusterLinesDropped { get; init; }

    public Func<long>? ClusterGaps { get; init; }

    public Func<long>? ClusterRemoteMembers { get; init; }

    internal KeyValuePair<string, object?>[] Tags => _tags ??=
    [
        new("model", Model),
        new("protocol", Protocol),
        new("transport", Transport),
    ];

    private KeyValuePair<string, object?>[]? _tags;
}
