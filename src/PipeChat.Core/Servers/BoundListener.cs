using System.Net;
using System.Net.Sockets;

namespace PipeChat.Servers;

/// <summary>
/// A bound socket a server listens (TCP, Unix stream) or receives (UDP) on, with what it is
/// bound to. Disposing it closes the socket and removes a Unix socket file this process created
/// (never one it inherited through socket activation). What is accepted from it is a plain
/// stream <see cref="Socket"/> either way, so a layer over accepted connections (e.g. TLS)
/// does not care whether they came over IP or a Unix socket.
/// </summary>
internal sealed class BoundListener : IDisposable
{
    private string? _ownedPath;

    public BoundListener(Socket socket, string? ownedPath, bool inherited)
    {
        Socket = socket;
        _ownedPath = ownedPath;
        Inherited = inherited;
        EndPoint = socket.LocalEndPoint ?? throw new InvalidOperationException("Socket is not bound.");
        if (EndPoint is UnixDomainSocketEndPoint && ownedPath is not null)
        {
            // The path as given: the kernel reports it as bound, relative paths stay relative.
            EndPoint = new UnixDomainSocketEndPoint(ownedPath);
        }
    }

    public Socket Socket { get; }

    /// <summary>An <see cref="IPEndPoint"/>, or a <see cref="UnixDomainSocketEndPoint"/>.</summary>
    public EndPoint EndPoint { get; }

    /// <summary>Whether the socket came from socket activation rather than a bind of ours.</summary>
    public bool Inherited { get; }

    public bool IsUnix => Socket.AddressFamily == AddressFamily.Unix;

    /// <summary>The bound IP address, for the servers' <see cref="IServer.LocalEndPoint"/>.</summary>
    public IPEndPoint IPEndPoint => EndPoint as IPEndPoint
        ?? throw new InvalidOperationException($"the server listens on {Describe(EndPoint)}, not on an IP address");

    /// <summary>
    /// For the blocking models: closing a socket does not wake a thread blocked in accept or
    /// receive on it when the descriptor is shared with another process (the runtime then leaves
    /// the socket alone, rightly: a shutdown would stop systemd's copy listening too). An inherited
    /// socket therefore gets a receive timeout (SO_RCVTIMEO, which bounds accept too), and the loops
    /// treat <see cref="IsWakeUp"/> as a chance to see that the server stops.
    /// </summary>
    public void PrepareForBlockingUse()
    {
        if (Inherited)
        {
            Socket.ReceiveTimeout = (int)InheritedWake.TotalMilliseconds;
        }
    }

    /// <summary>How often a blocking accept or receive on an inherited socket comes back to check for a stop.</summary>
    public static readonly TimeSpan InheritedWake = TimeSpan.FromMilliseconds(250);

    /// <summary>A timed-out wait of <see cref="PrepareForBlockingUse"/>, not a failure.</summary>
    public bool IsWakeUp(SocketException e) => Inherited && e.SocketErrorCode is SocketError.WouldBlock or SocketError.TimedOut;

    public void Dispose()
    {
        Socket.Dispose();
        if (Interlocked.Exchange(ref _ownedPath, null) is { } path)
        {
            UnixListener.RemoveSocketFile(path);
        }
    }

    /// <summary>unix:PATH for a Unix socket, else the address (without a scheme).</summary>
    public static string Describe(EndPoint endPoint) => endPoint switch
    {
        UnixDomainSocketEndPoint unix => "unix:" + unix,
        IPEndPoint { AddressFamily: AddressFamily.InterNetworkV6 } ip => $"[{ip.Address}]:{ip.Port}",
        IPEndPoint ip => $"{ip.Address}:{ip.Port}",
        _ => endPoint.ToString() ?? "?",
    };
}
