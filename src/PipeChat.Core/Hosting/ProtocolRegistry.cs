using PipeChat.Protocols.Chat;
using PipeChat.Protocols.Echo;

namespace PipeChat.Hosting;

/// <summary>
/// The protocols the server speaks. <see cref="Default"/> holds the built-in ones; the CLI makes
/// one command per registration, the options table, the resolver and the factory all go through
/// it. A new protocol is one <see cref="Register"/> call (or one line in <see cref="Default"/>).
/// </summary>
public sealed class ProtocolRegistry
{
    private readonly List<ProtocolKind> _protocols = [];

    public static ProtocolKind Echo { get; } = new(
        "echo",
        "Echo every byte back (TCP) or every datagram (UDP).",
        7007,
        static (options, logger) =>
        {
            var echo = new EchoProtocol(options.IdleTimeout, logger: logger);
            return new StreamService(echo, m => m with { MessagesEchoed = () => echo.MessagesEchoed, IdleTimeouts = () => echo.IdleTimeouts.Count });
        },
        static (_, _) =>
        {
            var echo = new UdpEchoProtocol();
            return new DatagramService(echo, m => m with { MessagesEchoed = () => echo.MessagesEchoed });
        });

    public static ProtocolKind Chat { get; } = new(
        "chat",
        "Line-based chat with rooms (TCP) or #REG/#DEREG relay (UDP).",
        7000,
        static (options, logger) =>
        {
            var chat = new ChatProtocol(new ChatLimits
            {
                MaxLine = options.MaxLine,
                MaxPendingOutput = options.MaxPendingOutput,
                WakeCoalescing = options.WakeCoalescing,
                WakeScheduler = Transport.PreciseWakeScheduler.Shared,
                IdleTimeout = options.IdleTimeout,
                LineTimeout = options.LineTimeout,
                MaxLineRate = options.MaxLineRate,
                Logger = logger,
            });
            var cluster = options.ClusterUrl is { } url
                ? PipeChat.Cluster.NatsChatBridge.StartAsync(chat.Hub, new PipeChat.Cluster.ClusterSettings { Url = url, Name = options.ClusterName }, logger).GetAwaiter().GetResult()
                : null;
            chat.Cluster = cluster;
            return new StreamService(chat, m => m with
            {
                ClusterLinked = cluster is null ? null : () => cluster.IsLinked ? 1 : 0,
                ClusterLinesOut = cluster is null ? null : () => cluster.Stats.LinesOut,
                ClusterLinesIn = cluster is null ? null : () => cluster.Stats.LinesIn,
                ClusterLinesDropped = cluster is null ? null : () => cluster.Stats.LinesDropped,
                ClusterGaps = cluster is null ? null : () => cluster.Stats.Gaps,
                ClusterRemoteMembers = cluster is null ? null : () => chat.Hub.RemoteMemberCount,
                LinesRelayed = () => chat.Hub.LinesRelayed,
                MembersCutOff = () => chat.Hub.MembersCutOff,
                IdleTimeouts = () => chat.IdleTimeouts.Count,
                LineTimeouts = () => chat.LineTimeouts.Count,
                InputPauses = () => chat.LinesThrottled.Count,
            });
        },
        static (options, logger) =>
        {
            var chat = new UdpChatProtocol(options.MaxConnections, options.MaxLine, options.IdleTimeout, options.MaxLineRate, logger);
            return new DatagramService(chat, m => m with { LinesRelayed = () => chat.LinesRelayed, Registrations = () => chat.Count, DatagramsDropped = () => chat.DatagramsDropped });
        })
    {
        ExcludedModels = new HashSet<string> { "iterative" },
        ExclusionReason = "one member at a time cannot chat",
        UdpIdleTimeoutSeconds = 600,
    };

    /// <summary>The built-in protocols, in the order the CLI lists them.</summary>
    public static ProtocolRegistry Default { get; } = new ProtocolRegistry().Register(Echo).Register(Chat);

    /// <summary>Every registered protocol, in registration order.</summary>
    public IReadOnlyList<ProtocolKind> All => _protocols;

    /// <summary>Adds a protocol; its name must be new.</summary>
    public ProtocolRegistry Register(ProtocolKind protocol)
    {
        ArgumentNullException.ThrowIfNull(protocol);
        if (Find(protocol.Name) is not null)
        {
            throw new ArgumentException($"a protocol named '{protocol.Name}' is already registered", nameof(protocol));
        }

        _protocols.Add(protocol);
        return this;
    }

    /// <summary>The protocol with this name (any case), or null.</summary>
    public ProtocolKind? Find(string name)
    {
        foreach (var protocol in _protocols)
        {
            if (string.Equals(protocol.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return protocol;
            }
        }

        return null;
    }

    /// <summary>A copy of these registrations, to add to without changing this one.</summary>
    public ProtocolRegistry Copy()
    {
        var copy = new ProtocolRegistry();
        copy._protocols.AddRange(_protocols);
        return copy;
    }
}
