namespace PipeChat.Transport;

/// <summary>The socket I/O under the async model (--io).</summary>
public enum SocketIoKind
{
    /// <summary>Epoll on Linux, SocketAsyncEventArgs elsewhere.</summary>
    Auto,

    /// <summary>Our own epoll loop (Linux): one recv per message.</summary>
    Epoll,

    /// <summary>The runtime's SocketAsyncEventArgs, as Kestrel's socket transport.</summary>
    Saea,
}
