using System.IO.Pipelines;
using System.Net.Sockets;

namespace PipeChat.Transport;

/// <summary>Awaitable receives for one connection, reusing one event-args object.</summary>
internal sealed class SocketReceiver : AwaitableSocketEventArgs
{
    public SocketReceiver(PipeScheduler scheduler)
        : base(scheduler)
    {
    }

    /// <summary>
    /// A zero-byte receive: completes when data is readable (or at EOF) without holding a
    /// buffer, so an idle connection pins no memory.
    /// </summary>
    public ValueTask<int> WaitForDataAsync(Socket socket)
    {
        SetBuffer(Memory<byte>.Empty);
        return socket.ReceiveAsync(this) ? Pending : CompletedSynchronously();
    }

    public ValueTask<int> ReceiveAsync(Socket socket, Memory<byte> buffer)
    {
        SetBuffer(buffer);
        return socket.ReceiveAsync(this) ? Pending : CompletedSynchronously();
    }
}
