namespace PipeChat.Diagnostics;

/// <summary>
/// Live counters of one server, read by tests, logs and (later) metrics. Plain Interlocked
/// fields: cheap enough for per-receive updates.
/// </summary>
public sealed class ServerStats
{
    private long _accepted;
    private long _rejectedMaxConnections;
    private long _rejectedPerIp;
    private long _acceptBackoffs;
    private long _active;
    private readonly StripedCounter _bytesIn = new();
    private readonly StripedCounter _bytesOut = new();
    private long _maxBufferedPerConnection;

    /// <summary>Connections (or UDP datagrams for UDP echo) accepted.</summary>
    public long Accepted => Volatile.Read(ref _accepted);

    /// <summary>Connections closed at once because a limit was reached (every reason).</summary>
    public long Rejected => RejectedMaxConnections + RejectedPerIp;

    /// <summary>Connections closed at once because --max-connections were open.</summary>
    public long RejectedMaxConnections => Volatile.Read(ref _rejectedMaxConnections);

    /// <summary>Connections closed at once because their client address held --max-connections-per-ip.</summary>
    public long RejectedPerIp => Volatile.Read(ref _rejectedPerIp);

    /// <summary>Times accepting paused for lack of descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM).</summary>
    public long AcceptBackoffs => Volatile.Read(ref _acceptBackoffs);

    /// <summary>Connections open now.</summary>
    public long Active => Volatile.Read(ref _active);

    /// <summary>Bytes received from clients.</summary>
    public long BytesIn => _bytesIn.Value;

    /// <summary>Bytes sent to clients.</summary>
    public long BytesOut => _bytesOut.Value;

    /// <summary>
    /// High-water mark of bytes one connection held in server memory (received, not yet sent).
    /// Backpressure keeps it near the pipe thresholds whatever a client does.
    /// </summary>
    public long MaxBufferedPerConnection => Volatile.Read(ref _maxBufferedPerConnection);

    internal void OnAccepted()
    {
        Interlocked.Increment(ref _accepted);
        Interlocked.Increment(ref _active);
    }

    internal void OnClosed() => Interlocked.Decrement(ref _active);

    internal void OnRejected(RejectReason reason) =>
        Interlocked.Increment(ref reason == RejectReason.PerIp ? ref _rejectedPerIp : ref _rejectedMaxConnections);

    internal void OnAcceptBackoff() => Interlocked.Increment(ref _acceptBackoffs);

    internal void OnReceived(long bytes) => _bytesIn.Add(bytes);

    internal void OnSent(long bytes) => _bytesOut.Add(bytes);

    internal void ObserveBuffered(long buffered)
    {
        var current = Volatile.Read(ref _maxBufferedPerConnection);
        while (buffered > current)
        {
            var seen = Interlocked.CompareExchange(ref _maxBufferedPerConnection, buffered, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
