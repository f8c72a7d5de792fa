namespace PipeChat.Cluster;

/// <summary>How a chat node joins its cluster (docs/cluster.md); the timings are injectable for tests.</summary>
internal sealed record ClusterSettings
{
    /// <summary>The NATS server, e.g. <c>nats://127.0.0.1:4222</c>.</summary>
    public required string Url { get; init; }

    /// <summary>Clusters sharing one NATS server are told apart by this name (subjects and the names bucket).</summary>
    public string Name { get; init; } = "pipechat";

    /// <summary>How often each node sends its presence snapshot (its heartbeat).</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>A node not heard from this long is dead: its members are announced as left, its names freed.</summary>
    public TimeSpan DeadAfter { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary><c>userN</c> names claimed ahead, so a connect does not wait for the NATS server.</summary>
    public int NamePool { get; init; } = 128;

    /// <summary>Longest a connect waits for a claimed name when the pool is empty, before numbering locally.</summary>
    public TimeSpan ClaimWait { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Frames queued for the NATS server at most; past it lines are dropped (and counted).</summary>
    public int OutboundCapacity { get; init; } = 65_536;

    /// <summary>How long the first connection to the NATS server may take.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>The clock of heartbeats and dead-node detection.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Subject every node of this cluster publishes to.</summary>
    internal string Subject => $"pipechat.{Name}.events";

    /// <summary>JetStream key-value bucket of this cluster's claimed names.</summary>
    internal string Bucket => $"pipechat-names-{Name}";

    /// <summary>True for a name usable in subjects and bucket names: letters, digits, <c>-</c> and <c>_</c>, 1 to 64.</summary>
    internal static bool IsValidName(string name) =>
        name.Length is > 0 and <= 64 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
}
