using System.Net;
using PipeChat.Transport;

namespace PipeChat.Servers;

/// <summary>What every model needs to know to listen and to bound its resources.</summary>
public sealed class ServerSettings
{
    /// <summary>Address to bind.</summary>
    public IPEndPoint EndPoint { get; init; } = new(IPAddress.Loopback, 0);

    /// <summary>Listen on a Unix domain stream socket at this path instead of <see cref="EndPoint"/> (--unix).</summary>
    internal string? UnixPath { get; init; }

    /// <summary>An already bound socket to serve instead of binding (socket activation); the server owns it from then on.</summary>
    internal System.Net.Sockets.Socket? Inherited { get; init; }

    /// <summary>TCP connections held at once; more are closed on arrival and counted.</summary>
    public int MaxConnections { get; init; } = 10_000;

    /// <summary>TCP connections from one client IP address at once; 0 is no limit.</summary>
    public int MaxConnectionsPerIp { get; init; }

    /// <summary>TCP keepalive idle time of accepted sockets (probes every 10 s, 6 of them); zero is off.</summary>
    public TimeSpan Keepalive { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Listen backlog.</summary>
    public int Backlog { get; init; } = 1024;

    /// <summary>Receive buffer of the blocking models (threads, iterative), per connection.</summary>
    public int BlockingBufferSize { get; init; } = 16 * 1024;

    /// <summary>After the server closes a connection, how long unread input is drained so the close is a FIN, not a reset (every model).</summary>
    public TimeSpan LingerTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Limits of the async transport.</summary>
    public TransportOptions Transport { get; init; } = new();

    /// <summary>Connection layers between transport and session (TLS); none: plain connections.</summary>
    internal ConnectionLayers Layers { get; init; } = ConnectionLayers.None;
}
