using System.Net;
using System.Net.Sockets;

namespace PipeChat.Servers;

/// <summary>Creates listening sockets the same way for every model.</summary>
internal static class Listener
{
    public static Socket BindTcp(IPEndPoint endPoint, int backlog)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endPoint.AddressFamily == AddressFamily.InterNetworkV6 && endPoint.Address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }

            // No ReuseAddress: on Unix .NET maps it to SO_REUSEPORT too, which would let a second
            // server share the port instead of failing with "address in use".
            socket.Bind(endPoint);
            socket.Listen(backlog);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public static Socket BindUdp(IPEndPoint endPoint)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (endPoint.AddressFamily == AddressFamily.InterNetworkV6 && endPoint.Address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }

            socket.Bind(endPoint);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The stream socket <paramref name="settings"/> asks for: inherited (socket activation), Unix, or TCP.</summary>
    public static BoundListener OpenStream(ServerSettings settings)
    {
        if (settings.Inherited is { } inherited)
        {
            if (inherited.SocketType != SocketType.Stream)
            {
                throw new InvalidOperationException($"the inherited socket is {inherited.SocketType}, not a stream socket");
            }

            if (inherited.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.AcceptConnection) is 0)
            {
                inherited.Listen(settings.Backlog);
            }

            return new BoundListener(inherited, ownedPath: null, inherited: true);
        }

        return settings.UnixPath is { } path
            ? new BoundListener(UnixListener.Bind(path, settings.Backlog), path, inherited: false)
            : new BoundListener(BindTcp(settings.EndPoint, settings.Backlog), ownedPath: null, inherited: false);
    }

    /// <summary>The UDP socket <paramref name="settings"/> asks for: inherited (socket activation) or bound.</summary>
    public static BoundListener OpenDatagram(ServerSettings settings)
    {
        if (settings.Inherited is { } inherited)
        {
            return inherited.SocketType == SocketType.Dgram
                ? new BoundListener(inherited, ownedPath: null, inherited: true)
                : throw new InvalidOperationException($"the inherited socket is {inherited.SocketType}, not a datagram socket");
        }

        return new BoundListener(BindUdp(settings.EndPoint), ownedPath: null, inherited: false);
    }

    public static IPEndPoint LocalEndPointOf(Socket socket) =>
        (IPEndPoint)(socket.LocalEndPoint ?? throw new InvalidOperationException("Socket is not bound."));
}
