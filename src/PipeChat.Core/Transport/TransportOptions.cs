namespace PipeChat.Transport;

/// <summary>Buffering limits of the async transport; every one bounded.</summary>
public sealed class TransportOptions
{
    /// <summary>Most epoll loops a process may run.</summary>
    internal const int MaxIoThreads = 256;

    /// <summary>Received bytes held before the transport stops reading (backpressure).</summary>
    public int InputPauseThreshold { get; init; } = 64 * 1024;

    /// <summary>Unsent bytes held before the protocol is paused.</summary>
    public int OutputPauseThreshold { get; init; } = 64 * 1024;

    /// <summary>Smallest buffer rented for a receive.</summary>
    public int MinimumReceiveBuffer { get; init; } = 4096;

    /// <summary>Buffer rented for a receive right after one that filled its buffer (a bulk sender).</summary>
    public int BulkReceiveBuffer { get; init; } = 32 * 1024;

    /// <summary>Which socket I/O the async model uses (Auto: epoll on Linux, SocketAsyncEventArgs elsewhere).</summary>
    public SocketIoKind Io { get; init; } = SocketIoKind.Auto;

    /// <summary>Epoll I/O: event loop threads the connections are spread over; 0 = one per two cores.</summary>
    public int IoThreads { get; init; }
}
