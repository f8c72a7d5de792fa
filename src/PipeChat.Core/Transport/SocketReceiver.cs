using System.IO.Pipelines;
using System.Net.Sockets;

namespace PipeChat.Transport;

/// <summary>Receives for one connection, reusing one event-args object; awaited or with a callback.</summary>
internal sealed class SocketReceiver : AwaitableSocketEventArgs
{
    public SocketReceiver(PipeScheduler scheduler)
        : base(scheduler)
    {
    }

    public ValueTask<int> ReceiveAsync(Socket socket, Memory<byte> buffer)
    {
        StartWithCallback(null);
        SetBuffer(buffer);
        return socket.ReceiveAsync(this) ? Pending : CompletedSynchronously();
    }

    /// <summary>
    /// Starts a zero-byte receive; true when it is pending (<paramref name="callback"/> is told
    /// when it completes), false when it completed at once (result in SocketError).
    /// </summary>
    public bool StartWaitForData(Socket socket, ISocketOperationCallback callback)
    {
        StartWithCallback(callback);
        SetBuffer(Memory<byte>.Empty);
        return socket.ReceiveAsync(this);
    }

    /// <summary>Starts a receive into <paramref name="buffer"/>; true when pending, as <see cref="StartWaitForData"/>.</summary>
    public bool StartReceive(Socket socket, Memory<byte> buffer, ISocketOperationCallback callback)
    {
        StartWithCallback(callback);
        SetBuffer(buffer);
        return socket.ReceiveAsync(this);
    }

    /// <summary>Forgets the buffer of the last receive, so the args pin nothing while idle.</summary>
    public void ClearBuffer() => SetBuffer(Memory<byte>.Empty);
}
