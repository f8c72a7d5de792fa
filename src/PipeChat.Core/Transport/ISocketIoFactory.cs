using System.Net.Sockets;

namespace PipeChat.Transport;

/// <summary>Makes the <see cref="SocketIo"/> of each accepted socket.</summary>
internal interface ISocketIoFactory
{
    SocketIo Create(Socket socket, ISocketIoCallback callback);
}
