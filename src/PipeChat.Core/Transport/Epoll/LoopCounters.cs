namespace PipeChat.Transport.Epoll;

/// <summary>
/// What each epoll loop of one server has served: connections handed to it and readiness events
/// it ran. Each loop writes only its own padded slot (no interlocked add on the hot path, no
/// false sharing); readers get a recent value.
/// </summary>
internal sealed class LoopCounters
{
    // 128 bytes between slots: one cache line pair per loop.
    private const int Stride = 16;
    private readonly long[] _events;
    private readonly long[] _connections;

    public LoopCounters(int loops)
    {
        Loops = loops;
        _events = new long[loops * Stride];
        _connections = new long[loops * Stride];
    }

    public int Loops { get; }

    /// <summary>Readiness events loop <paramref name="loop"/> ran for this server.</summary>
    public long Events(int loop) => Volatile.Read(ref _events[loop * Stride]);

    /// <summary>Connections handed to loop <paramref name="loop"/>.</summary>
    public long Connections(int loop) => Volatile.Read(ref _connections[loop * Stride]);

    /// <summary>On the loop's own thread only.</summary>
    public void OnEvent(int loop) => _events[loop * Stride]++;

    public void OnConnection(int loop) => Interlocked.Increment(ref _connections[loop * Stride]);
}
