using System.Buffers;
using System.Net.Sockets;

namespace PipeChat.Transport;

/// <summary>
/// The socket operations one connection needs, behind which the async transport can use
/// either the runtime's SocketAsyncEventArgs (<see cref="SaeaSocketIo"/>) or our own epoll
/// loop (<see cref="Epoll.EpollSocketIo"/>). Every Start method returns true when the
/// operation is pending (the callback is told when it completes) and false when it
/// completed at once; either way its result is read from the properties below. On a socket
/// closed meanwhile (from another thread) an operation completes at once with
/// <see cref="SocketError.OperationAborted"/> rather than throwing. At most one receive and one
/// send are in flight; the caller serializes each direction.
/// </summary>
internal abstract class SocketIo : IDisposable
{
    protected SocketIo(Socket socket, ISocketIoCallback callback)
    {
        Socket = socket;
        Callback = callback;
    }

    public Socket Socket { get; }

    public SocketError ReceiveError { get; protected set; }

    /// <summary>Bytes of the last receive; 0 at EOF (and for a zero-byte wait).</summary>
    public int BytesReceived { get; protected set; }

    public SocketError SendError { get; protected set; }

    protected ISocketIoCallback Callback { get; }

    /// <summary>Another object of the connection that every event touches (its session driver): a prefetch hint for the epoll loop.</summary>
    public object? Companion { get; set; }

    /// <summary>Completes when data is readable (or at EOF or error) without holding a buffer.</summary>
    public abstract bool StartWaitForData();

    /// <summary>Receives into <paramref name="buffer"/>; the buffer is only referenced until completion.</summary>
    public abstract bool StartReceive(Memory<byte> buffer);

    /// <summary>Sends all of <paramref name="buffer"/>; completes when every byte is with the kernel.</summary>
    public abstract bool StartSend(in ReadOnlySequence<byte> buffer);

    /// <summary>Sends FIN (our side is done writing).</summary>
    public void ShutdownSend() => Socket.Shutdown(SocketShutdown.Send);

    /// <summary>Closes the socket now: operations in flight complete with an error.</summary>
    public abstract void Close();

    public abstract void Dispose();
}
