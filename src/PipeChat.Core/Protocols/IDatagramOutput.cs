using System.Net;

namespace PipeChat.Protocols;

/// <summary>Where a datagram protocol sends its replies; implemented by the UDP models.</summary>
public interface IDatagramOutput
{
    /// <summary>Sends one datagram to <paramref name="destination"/>.</summary>
    void SendTo(ReadOnlySpan<byte> datagram, SocketAddress destination);
}
