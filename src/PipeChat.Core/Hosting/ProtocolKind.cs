using Microsoft.Extensions.Logging;
using PipeChat.Servers;

namespace PipeChat.Hosting;

/// <summary>
/// A protocol the server can speak, as registered in <see cref="ProtocolRegistry"/>: its command
/// name, help line, default port, the models it runs on, and how it is made (TCP, and UDP where
/// it has a datagram form) with its metrics.
/// </summary>
/// <param name="Name">The command, e.g. <c>pipechat echo</c>, and its name in logs and metrics.</param>
/// <param name="Description">The command's help line.</param>
/// <param name="DefaultPort">The port when --port is not given.</param>
/// <param name="CreateStream">The TCP protocol for one server, from the resolved options.</param>
/// <param name="CreateDatagram">The UDP protocol for one server; null when the protocol has no datagram form.</param>
public sealed record ProtocolKind(
    string Name,
    string Description,
    int DefaultPort,
    Func<PipeChatOptions, ILogger, StreamService> CreateStream,
    Func<PipeChatOptions, ILogger, DatagramService>? CreateDatagram = null)
{
    /// <summary>Echo (docs/protocols.md).</summary>
    public static ProtocolKind Echo => ProtocolRegistry.Echo;

    /// <summary>Chat (docs/protocols.md).</summary>
    public static ProtocolKind Chat => ProtocolRegistry.Chat;

    /// <summary>Models this protocol does not run on (by name), and why.</summary>
    public IReadOnlySet<string> ExcludedModels { get; init; } = new HashSet<string>();

    /// <summary>Why <see cref="ExcludedModels"/> are excluded, for the usage error.</summary>
    public string ExclusionReason { get; init; } = string.Empty;

    /// <summary>--idle-timeout when not given, in seconds, over UDP (over TCP: 0, off).</summary>
    public double UdpIdleTimeoutSeconds { get; init; }

    /// <summary>Whether the protocol runs on <paramref name="model"/>.</summary>
    public bool Allows(ServerModel model) => !ExcludedModels.Contains(model.Name);

    /// <summary>Registrations are identities: two with the same name are still two protocols.</summary>
    public bool Equals(ProtocolKind? other) => ReferenceEquals(this, other);

    /// <inheritdoc/>
    public override int GetHashCode() => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(this);

    /// <summary>The protocol's name.</summary>
    public override string ToString() => Name;
}
