using System.Net;

namespace PipeChat.Servers;

/// <summary>A server that can listen elsewhere than on an IP address (a Unix socket, an inherited socket).</summary>
internal interface IListeningServer
{
    /// <summary>What the server listens on: an <see cref="IPEndPoint"/> or a <see cref="System.Net.Sockets.UnixDomainSocketEndPoint"/>.</summary>
    EndPoint ListenEndPoint { get; }
}
