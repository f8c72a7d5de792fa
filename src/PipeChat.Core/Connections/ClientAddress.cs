using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace PipeChat.Connections;

/// <summary>
/// A client's IP address as a 128-bit value (IPv4 as its IPv4-mapped IPv6 form, so a dual-mode
/// listener counts 10.0.0.1 and ::ffff:10.0.0.1 as one client): a cheap dictionary key.
/// </summary>
internal readonly record struct ClientAddress(ulong High, ulong Low)
{
    public static ClientAddress From(IPAddress address)
    {
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            Span<byte> v4 = stackalloc byte[4];
            address.TryWriteBytes(v4, out _);
            return new ClientAddress(0, 0xFFFF_0000_0000UL | BinaryPrimitives.ReadUInt32BigEndian(v4));
        }

        Span<byte> v6 = stackalloc byte[16];
        address.TryWriteBytes(v6, out _);
        return new ClientAddress(BinaryPrimitives.ReadUInt64BigEndian(v6), BinaryPrimitives.ReadUInt64BigEndian(v6[8..]));
    }

    /// <summary>The socket's peer address; null for a peer without one (a Unix socket, or a peer already gone).</summary>
    public static ClientAddress? Of(Socket socket)
    {
        if (socket.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
        {
            return null;
        }

        try
        {
            return socket.RemoteEndPoint is IPEndPoint endPoint ? From(endPoint.Address) : null;
        }
        catch (SocketException)
        {
            return null;
        }
    }
}
