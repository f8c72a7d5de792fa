namespace PipeChat.Hosting;

/// <summary>
/// Every server option in one table: the CLI builds each command's options and help from it,
/// configuration keys and PIPECHAT_* variables are looked up in it, and options given where they
/// do not apply are found through it.
/// </summary>
public static class ServerOptions
{
    // Null: every registered protocol.
    private const IReadOnlySet<string>? Both = null;
    private static readonly IReadOnlySet<string> ChatOnly = new HashSet<string> { "chat" };

    /// <summary>The options in the order --help lists them.</summary>
    public static readonly IReadOnlyList<ServerOption> All =
    [
        new("--host", "Host", "Address to bind (default 127.0.0.1; 0.0.0.0 or :: to expose).", Both, NotUnix),
        new("--port", "Port", "Port (0 lets the OS pick).", Both, NotUnix) { DescribeFor = static p => $"Port (default {p.DefaultPort}; 0 lets the OS pick)." },
        new("--model", "Model", "Connection model: async (default), threads or iterative.", Both) { DescribeFor = DescribeModels },
        new("--udp", "Udp", "Serve UDP instead of TCP.", Both) { IsFlag = true, NeedsDatagram = true },
        new("--io", "Io", "Async model: socket I/O, auto (default: epoll on Linux), epoll or saea (SocketAsyncEventArgs).", Both, AsyncTcpOnly),
        new("--io-threads", "IoThreads", "Async model, epoll I/O: event loop threads the connections are spread over: auto (default: one per two cores) or N.", Both, EpollOnly),
        new("--max-connections", "MaxConnections", "TCP connections (UDP chat: registrations) held at once (default 10000).", Both, NotUdpEcho),
        new("--max-line", "MaxLine", "Chat: longest line in bytes, newline excluded (default 4096).", ChatOnly),
        new("--idle-timeout", "IdleTimeout", "Seconds a client may stay silent before it is dropped; 0 = off (default 0, UDP chat 600).", Both, NotUdpEcho),
        new("--shutdown-timeout", "ShutdownTimeout", "Seconds to drain on SIGINT/SIGTERM; 0 aborts at once (default 5).", Both),
        new("--max-pending-output", "MaxPendingOutput", "Chat: bytes queued for one member before it is cut off as too slow (default 1048576).", ChatOnly, TcpOnly),
        new("--wake-coalescing-ms", "WakeCoalescingMs", "Chat: shortest time between wake-ups of a busy room's readers: auto (default: about 4 lines at the room's line rate, at most 10 µs per member, none under 50 members), MS (e.g. 0.5), or 0 (off).", ChatOnly, TcpOnly),
        new("--max-line-rate", "MaxLineRate", "Chat: lines per member per second, bursts up to as many; past it the member is not read (UDP: dropped) (default 100; 0 = unlimited).", ChatOnly),
        new("--line-timeout", "LineTimeout", "Chat: seconds an unfinished line may take from its first byte before the member is cut (default 30; 0 = off).", ChatOnly, TcpOnly),
        new("--log-level", "LogLevel", "trace, debug, information (default), warning or error.", Both),
        new("--log-format", "LogFormat", "Log lines on standard error: text (default) or json (one JSON object per line).", Both),
        new("--metrics-port", "MetricsPort", "Serve Prometheus /metrics and /healthz over HTTP on this port (default: off).", Both),
        new("--metrics-host", "MetricsHost", "Address of the metrics endpoint (default: the --host address).", Both),
        new("--max-connections-per-ip", "MaxConnectionsPerIp", "TCP connections from one client IP address at once; 0 = no limit (default).", Both, IpOnly),
        new("--keepalive", "Keepalive", "TCP keepalive after SECONDS of silence, probes every 10 s, 6 probes; 0 = off (default 60).", Both, IpOnly),
        new("--unix", "Unix", "Listen on a Unix domain stream socket at PATH instead of TCP (a stale socket file is replaced, removed at exit).", Both, static o => o.Udp ? "does not apply with --udp" : null),
        new("--tls-cert", "TlsCert", "PEM certificate (chain) to serve TLS 1.2/1.3 with; needs --tls-key; SIGHUP reloads both (default: off).", Both, TcpOnly),
        new("--tls-key", "TlsKey", "PEM private key of --tls-cert.", Both, TcpOnly),
        new("--cluster", "Cluster", "Chat: join the cluster on the NATS server at URL, e.g. nats://127.0.0.1:4222 (default: off; TCP only).", ChatOnly, TcpOnly),
        new("--cluster-name", "ClusterName", "Chat: the cluster to join on that NATS server: letters, digits, - and _ (default pipechat).", ChatOnly, ClusterOnly),
        new("--config", "Config", "A JSON settings file read after appsettings.json beside the executable (keys under \"PipeChat\").", Both),
    ];

    /// <summary>The option with this configuration key, or null.</summary>
    public static ServerOption? ByKey(string key)
    {
        foreach (var option in All)
        {
            if (string.Equals(option.Key, key, StringComparison.OrdinalIgnoreCase))
            {
                return option;
            }
        }

        return null;
    }

    /// <summary>The option a PIPECHAT_* variable names, or null.</summary>
    public static ServerOption? ByEnvironmentVariable(string name)
    {
        foreach (var option in All)
        {
            if (string.Equals(option.EnvironmentVariable, name, StringComparison.OrdinalIgnoreCase))
            {
                return option;
            }
        }

        return null;
    }

    // The models the protocol may run on, the default first: "async (default) or threads" for chat.
    private static string DescribeModels(ProtocolKind protocol) =>
        $"Connection model: {Servers.ModelRegistry.Choices(Servers.ModelRegistry.Default.All.Where(protocol.Allows).Select(m => m == Servers.ModelRegistry.Async ? m.Name + " (default)" : m.Name))}.";

    private static string? AsyncTcpOnly(PipeChatOptions o) =>
        o.Udp ? "applies to TCP only" : o.Model != Servers.ModelRegistry.Async ? "applies to --model async only" : null;

    private static string? EpollOnly(PipeChatOptions o) =>
        AsyncTcpOnly(o) ?? (o.Io == Transport.SocketIoKind.Saea || (o.Io == Transport.SocketIoKind.Auto && !OperatingSystem.IsLinux()) ? "applies to --io epoll only" : null);

    private static string? TcpOnly(PipeChatOptions o) => o.Udp ? "applies to TCP only" : null;

    private static string? ClusterOnly(PipeChatOptions o) => TcpOnly(o) ?? (o.ClusterUrl is null ? "needs --cluster" : null);

    private static string? NotUnix(PipeChatOptions o) => o.Unix is not null && !o.Udp ? "does not apply with --unix" : null;

    private static string? IpOnly(PipeChatOptions o) => TcpOnly(o) ?? (o.Unix is not null ? "does not apply to --unix (no IP peer)" : null);

    private static string? NotUdpEcho(PipeChatOptions o) => o.Udp && o.Protocol == ProtocolKind.Echo ? "does not apply to UDP echo" : null;
}
