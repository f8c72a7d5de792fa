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

    public static IPEndPoint LocalEndPointOf(Socket socket) =>
        (IPEndPoint)(socket.LocalEndPoint ?? throw new InvalidOperationException("Socket is not bound."));
}
