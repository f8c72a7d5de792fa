using PipeChat.Diagnostics;
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

    /// <summary>Echo: every byte back (TCP), every datagram back (UDP).</summary>
    public static ProtocolKind Echo { get; } = new(
        "echo",
        "Echo every byte back (TCP) or every datagram (UDP).",
        7007,
        static (options, logger) =>
        {
            var echo = new EchoProtocol(options.IdleTimeout, logger: logger);
            return new StreamService(echo, [EchoMessages(() => echo.MessagesEchoed), IdleTimeouts(() => echo.IdleTimeouts.Count)]);
        },
        static (_, _) =>
        {
            var echo = new UdpEchoProtocol();
            return new DatagramService(echo, [EchoMessages(() => echo.MessagesEchoed)]);
        });

    /// <summary>Line-based chat with rooms (TCP and UDP).</summary>
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
            ProtocolCounter[] counters =
            [
                LinesRelayed(() => chat.Hub.LinesRelayed),
                new("pipechat.chat.members_cut", IsGauge: false, "{member}", "Chat: members cut off as too slow", () => chat.Hub.MembersCutOff),
                IdleTimeouts(() => chat.IdleTimeouts.Count),
                new("pipechat.chat.line_timeouts", IsGauge: false, "{connection}", "Chat: connections closed by --line-timeout (a line left unfinished)", () => chat.LineTimeouts.Count),
                new("pipechat.chat.input_pauses", IsGauge: false, "{pause}", "Chat: times a member was not read because it used up --max-line-rate", () => chat.LinesThrottled.Count),
                LinesTooLong(() => chat.LinesTooLong.Count),
            ];
            if (cluster is null)
            {
                return new StreamService(chat, counters);
            }

            return new StreamService(chat,
            [
                .. counters,
                new("pipechat.cluster.linked", IsGauge: true, "{link}", "Chat cluster: 1 while the link to the NATS server is up, 0 while down", () => cluster.IsLinked ? 1 : 0),
                new("pipechat.cluster.lines_out", IsGauge: false, "{line}", "Chat cluster: member lines published to the other nodes", () => cluster.Stats.LinesOut),
                new("pipechat.cluster.lines_in", IsGauge: false, "{line}", "Chat cluster: member lines received from other nodes", () => cluster.Stats.LinesIn),
                new("pipechat.cluster.lines_dropped", IsGauge: false, "{line}", "Chat cluster: member lines not sent to the other nodes (link down, queue full, publish failed)", () => cluster.Stats.LinesDropped),
                new("pipechat.cluster.gaps", IsGauge: false, "{frame}", "Chat cluster: frames from other nodes that never arrived (sequence gaps, slow-consumer drops)", () => cluster.Stats.Gaps),
                new("pipechat.cluster.name_conflicts", IsGauge: false, "{name}", "Chat cluster: names given during an outage found held by another node when the link came back (their members renamed)", () => cluster.Stats.NameConflicts),
                new("pipechat.cluster.names_numbered_locally", IsGauge: false, "{name}", "Chat cluster: new members numbered on this node alone, link up, because no claimed name came within 2 s", () => cluster.Stats.NamesNumberedLocally),
                new("pipechat.cluster.remote_members", IsGauge: true, "{member}", "Chat cluster: members on the other nodes, as last heard", () => chat.Hub.RemoteMemberCount),
            ])
            {
                // still healthy either way: the node serves its own members while the link is down
                Health = () => cluster.IsLinked ? "cluster linked" : "cluster unavailable",
            };
        },
        static (options, logger) =>
        {
            var chat = new UdpChatProtocol(options.MaxConnections, options.MaxLine, options.IdleTimeout, options.MaxLineRate, logger);
            return new DatagramService(chat,
            [
                LinesRelayed(() => chat.LinesRelayed),
                new("pipechat.udp.registrations", IsGauge: true, "{member}", "UDP chat: registrations held now", () => chat.Count),
                new("pipechat.udp.datagrams_dropped", IsGauge: false, "{datagram}", "UDP chat: datagrams dropped over --max-line-rate (or from new addresses while the limit table is full)", () => chat.DatagramsDropped),
                new("pipechat.udp.registrations_refused", IsGauge: false, "{registration}", "UDP chat: #REG refused with ! server full (--max-connections)", () => chat.RegistrationsRefused.Count),
                new("pipechat.udp.idle_timeouts", IsGauge: false, "{member}", "UDP chat: registrations dropped by --idle-timeout", () => chat.IdleTimeouts.Count),
                LinesTooLong(() => chat.LinesTooLong.Count),
            ]);
        })
    {
        ExcludedModels = new HashSet<string> { "iterative" },
        ExclusionReason = "one member at a time cannot chat",
        UdpIdleTimeoutSeconds = 600,
    };

    // Counters two registrations share: one name, one meaning.
    private static ProtocolCounter EchoMessages(Func<long> read) =>
        new("pipechat.echo.messages", IsGauge: false, "{message}", "Echo: reads (TCP) or datagrams (UDP) echoed", read);

    private static ProtocolCounter LinesRelayed(Func<long> read) =>
        new("pipechat.chat.lines_relayed", IsGauge: false, "{line}", "Chat: member lines relayed to their room, counted once each", read);

    private static ProtocolCounter LinesTooLong(Func<long> read) =>
        new("pipechat.chat.lines_too_long", IsGauge: false, "{line}", "Chat: lines (UDP: datagrams) refused with ! line too long (--max-line)", read);

    private static ProtocolCounter IdleTimeouts(Func<long> read) =>
        new("pipechat.connections.idle_timeouts", IsGauge: false, "{connection}", "TCP connections closed by --idle-timeout", read);

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
