using System.Globalization;
using System.Net;

namespace PipeChat.LoadTests.Scenarios;

/// <summary>The knobs of the built-in scenarios; each scenario uses the ones that apply to it.</summary>
public sealed record ScenarioSettings
{
    /// <summary>Gets the server to load (loopback only); null means the scenario's default port on 127.0.0.1.</summary>
    public IPEndPoint? Target { get; init; }

    /// <summary>Gets the chat servers to spread members over, round robin (the nodes of a cluster); null means <see cref="Target"/> alone.</summary>
    public IPEndPoint[]? Targets { get; init; }

    /// <summary>Gets the path of a Unix domain socket to load instead of <see cref="Target"/> (<c>--target unix:PATH</c>; the echo scenario).</summary>
    public string? UnixTarget { get; init; }

    /// <summary>Gets the number of connections (echo, echo-inject, conns, udp-echo: sockets; chat: members).</summary>
    public int Connections { get; init; } = 50;

    /// <summary>Gets the message size in bytes (echo, udp-echo; chat: minimum line length).</summary>
    public int MessageSize { get; init; } = 64;

    /// <summary>Gets the messages in flight per connection (echo).</summary>
    public int PipelineDepth { get; init; } = 1;

    /// <summary>Gets the measured duration (for <c>conns</c>: how long connections are held).</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Gets the warm-up; null means the scenario's default.</summary>
    public TimeSpan? WarmUp { get; init; }

    /// <summary>Gets an optional ramp-up phase before the constant phase (0: none).</summary>
    public TimeSpan Ramp { get; init; } = TimeSpan.Zero;

    /// <summary>Gets the rate per second (echo-inject: requests in total; chat: lines per publisher); 0 means the default.</summary>
    public int Rate { get; init; }

    /// <summary>
    /// Gets the chat window: above 0, each publisher sends as fast as possible with at most this many of its
    /// lines not yet read on every node (closed loop), and <see cref="Rate"/> is not used.
    /// </summary>
    public int Window { get; init; }

    /// <summary>Gets the number of chat publishers (the first members also publish).</summary>
    public int Publishers { get; init; } = 10;

    /// <summary>Gets a value indicating whether one extra chat member connects and never reads.</summary>
    public bool StalledMember { get; init; }

    /// <summary>Gets a value indicating whether chat members wait for <c>* welcome NAME</c> after connecting.</summary>
    public bool ExpectWelcome { get; init; } = true;

    /// <summary>Gets the timeout of one socket operation (UDP: of one datagram round trip).</summary>
    public TimeSpan OperationTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Gets the timeout of one connect.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Gets how many connects may be pending at once.</summary>
    public int MaxPendingConnects { get; init; } = 16;

    /// <summary>Gets the server protocol of slowloris, storm and soak: <c>echo</c> or <c>chat</c>; null means the scenario's default.</summary>
    public string? Protocol { get; init; }

    /// <summary>Gets what the flood scenario's flooder sends: <c>lines</c> (chat lines) or <c>nick</c> (<c>/nick</c> commands).</summary>
    public string FloodKind { get; init; } = "lines";

    /// <summary>Gets how often each slowloris connection sends one more byte of its never-ending line.</summary>
    public TimeSpan TrickleInterval { get; init; } = TimeSpan.FromMilliseconds(300);

    /// <summary>Gets the local address slowloris's held connections bind to (one attacking host); null lets the system choose.</summary>
    public System.Net.IPAddress? HeldFrom { get; init; }

    /// <summary>Gets the server's process id, for sampling its RSS (soak); null when unknown.</summary>
    public int? ServerPid { get; init; }

    /// <summary>Gets the TLS settings of TCP connections (echo, echo-inject, chat scenarios); null: plain TCP.</summary>
    public Sockets.TlsSettings? Tls { get; init; }

    /// <summary>Gets how often soak samples the server's RSS.</summary>
    public TimeSpan RssSampleInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Gets the protocol: <see cref="Protocol"/> or <paramref name="fallback"/>.</summary>
    public bool IsChat(string fallback = "echo") => (Protocol ?? fallback) == "chat";

    /// <summary>Resolves the target: the given one, or 127.0.0.1 with <paramref name="defaultPort"/>.</summary>
    public IPEndPoint TargetOr(int defaultPort) => Target ?? new IPEndPoint(IPAddress.Loopback, defaultPort);

    /// <summary>Describes the settings common to all scenarios, for reports.</summary>
    internal Dictionary<string, string> Describe(EndPoint target, params (string Key, object Value)[] extra)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["target"] = target is System.Net.Sockets.UnixDomainSocketEndPoint ? "unix:" + target : target.ToString() ?? string.Empty,
            ["duration"] = Harness.DurationFormat.Format(Duration),
            ["timeout"] = Harness.DurationFormat.Format(OperationTimeout),
        };
        foreach (var (key, value) in extra)
        {
            d[key] = Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty;
        }

        return d;
    }
}
