using System.Net;
using Microsoft.Extensions.Logging;
using PipeChat.Servers;

namespace PipeChat.Hosting;

/// <summary>Resolved, validated settings of one `pipechat echo|chat` run (docs/options.md).</summary>
public sealed record PipeChatOptions
{
    public ProtocolKind Protocol { get; init; } = ProtocolKind.Echo;

    public ServerModel Model { get; init; } = ModelRegistry.Async;

    public bool Udp { get; init; }

    public IPAddress Host { get; init; } = IPAddress.Loopback;

    public int Port { get; init; }

    public int MaxConnections { get; init; } = 10_000;

    public int MaxLine { get; init; } = 4096;

    /// <summary>Zero means off.</summary>
    public TimeSpan IdleTimeout { get; init; }

    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(5);

    public LogLevel LogLevel { get; init; } = LogLevel.Information;

    /// <summary>Chat: pending output per member before it is cut off as too slow.</summary>
    public int MaxPendingOutput { get; init; } = 1024 * 1024;

    /// <summary>Chat: when a busy room holds back wake-ups of its readers (auto: a window that grows with the room).</summary>
    public Protocols.Chat.WakeCoalescing WakeCoalescing { get; init; } = Protocols.Chat.WakeCoalescing.Auto;

    /// <summary>Async model: socket I/O (auto: epoll on Linux, SocketAsyncEventArgs elsewhere).</summary>
    public Transport.SocketIoKind Io { get; init; }

    /// <summary>Async model, epoll I/O: event loop threads; 0 = auto (one per two cores).</summary>
    public int IoThreads { get; init; }

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

    public string Scheme => Udp ? "udp" : "tcp";

    public static int DefaultPort(ProtocolKind protocol) => protocol.DefaultPort;
}
