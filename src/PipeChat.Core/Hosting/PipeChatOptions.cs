using System.Net;
using Microsoft.Extensions.Logging;
using PipeChat.Servers;

namespace PipeChat.Hosting;

/// <summary>Resolved, validated settings of one `pipechat echo|chat` run (docs/options.md).</summary>
public sealed record PipeChatOptions
{
    /// <summary>The protocol served.</summary>
    public ProtocolKind Protocol { get; init; } = ProtocolKind.Echo;

    /// <summary>The connection model (<c>--model</c>).</summary>
    public ServerModel Model { get; init; } = ModelRegistry.Async;

    /// <summary>Serve datagrams instead of a stream (<c>--udp</c>).</summary>
    public bool Udp { get; init; }

    /// <summary>The address to bind (<c>--host</c>).</summary>
    public IPAddress Host { get; init; } = IPAddress.Loopback;

    /// <summary>The port to bind (<c>--port</c>); 0 lets the system pick.</summary>
    public int Port { get; init; }

    /// <summary>Connections (UDP chat: registrations) held at once (<c>--max-connections</c>).</summary>
    public int MaxConnections { get; init; } = 10_000;

    /// <summary>Longest line accepted, newline excluded (<c>--max-line</c>).</summary>
    public int MaxLine { get; init; } = 4096;

    /// <summary>Zero means off.</summary>
    public TimeSpan IdleTimeout { get; init; }

    /// <summary>The drain window on SIGINT/SIGTERM (<c>--shutdown-timeout</c>); zero aborts at once.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The lowest level logged (<c>--log-level</c>).</summary>
    public LogLevel LogLevel { get; init; } = LogLevel.Information;

    /// <summary>Chat: pending output per member before it is cut off as too slow.</summary>
    public int MaxPendingOutput { get; init; } = 1024 * 1024;

    /// <summary>Chat: when a busy room holds back wake-ups of its readers (auto: a window that grows with the room).</summary>
    public Protocols.Chat.WakeCoalescing WakeCoalescing { get; init; } = Protocols.Chat.WakeCoalescing.Auto;

    /// <summary>Async model: socket I/O (auto: epoll on Linux, SocketAsyncEventArgs elsewhere).</summary>
    public Transport.SocketIoKind Io { get; init; }

    /// <summary>Port of the /metrics and /healthz endpoint; null is off.</summary>
    public int? MetricsPort { get; init; }

    /// <summary>Address of the metrics endpoint; defaults to the server's --host.</summary>
    public IPAddress? MetricsHost { get; init; }

    /// <summary>Console log format: "text" (default) or "json".</summary>
    public string LogFormat { get; init; } = "text";

    /// <summary>TCP connections from one client IP address at once; 0 is off.</summary>
    public int MaxConnectionsPerIp { get; init; }

    /// <summary>TCP keepalive idle time; zero is off.</summary>
    public TimeSpan Keepalive { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Chat: lines (UDP: datagrams per address) per member per second, bursts up to as many (TCP: backpressure); zero is unlimited.</summary>
    public int MaxLineRate { get; init; } = 100;

    /// <summary>Chat TCP: an unfinished line must end this long after its first byte; zero is off.</summary>
    public TimeSpan LineTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>PEM certificate (chain) file: serve TLS; null is plain TCP.</summary>
    public string? TlsCertificate { get; init; }

    /// <summary>Chat: the NATS server of the cluster this node joins (docs/cluster.md); null is no cluster.</summary>
    public string? ClusterUrl { get; init; }

    /// <summary>Chat: the cluster's name on that NATS server.</summary>
    public string ClusterName { get; init; } = "pipechat";

    /// <summary>PEM private key file of <see cref="TlsCertificate"/>.</summary>
    public string? TlsKey { get; init; }

    /// <summary>Whether connections speak TLS.</summary>
    public bool Tls => !Udp && TlsCertificate is not null;

    /// <summary>The scheme of the ready line's address.</summary>
    public string Scheme => Udp ? "udp" : Tls ? "tls" : "tcp";

    /// <summary>The port <paramref name="protocol"/> listens on when none is given.</summary>
    public static int DefaultPort(ProtocolKind protocol) => protocol.DefaultPort;
}
