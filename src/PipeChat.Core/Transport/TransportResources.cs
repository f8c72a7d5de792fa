using System.IO.Pipelines;
using Microsoft.Extensions.ObjectPool;
using PipeChat.Connections;
using PipeChat.Diagnostics;

namespace PipeChat.Transport;

/// <summary>What every connection of one async server shares: options, pipe settings, the buffer pool, the socket I/O.</summary>
internal sealed class TransportResources
{
    private readonly ObjectPool<ConnectionBuffers> _pool;

    public TransportResources(TransportOptions options, ServerStats stats, IConnectionOwner<SocketConnection> owner, ISocketIoFactory io, TimeSpan lingerTimeout)
    {
        Io = io;
        Options = options;
        Stats = stats;
        Owner = owner;
        LingerTimeout = lingerTimeout;

        // Inline schedulers and no pause thresholds: nobody ever awaits these pipes. The
        // connection drives both ends itself and applies the limits of TransportOptions.
        var input = new PipeOptions(
            readerScheduler: PipeScheduler.Inline,
            writerScheduler: PipeScheduler.Inline,
            pauseWriterThreshold: 0,
            resumeWriterThreshold: 0,
            minimumSegmentSize: options.MinimumReceiveBuffer,
            useSynchronizationContext: false);
        var output = new PipeOptions(
            readerScheduler: PipeScheduler.Inline,
            writerScheduler: PipeScheduler.Inline,
            pauseWriterThreshold: 0,
            resumeWriterThreshold: 0,
            useSynchronizationContext: false);

        // Only connections with bytes in flight hold buffers, a few per core even under load;
        // the pool keeps enough for bursts and drops (disposes) the rest.
        var provider = new DefaultObjectPoolProvider { MaximumRetained = Math.Max(256, Environment.ProcessorCount * 64) };
        _pool = provider.Create(new Policy(input, output, options.MinimumReceiveBuffer));
    }

    public TransportOptions Options { get; }

    public ServerStats Stats { get; }

    public IConnectionOwner<SocketConnection> Owner { get; }

    /// <summary>After the server closes a connection, how long unread input is drained so the close is a FIN, not a reset.</summary>
    public TimeSpan LingerTimeout { get; }

    public ISocketIoFactory Io { get; }

    public ConnectionBuffers Rent() => _pool.Get();

    public void Return(ConnectionBuffers buffers) => _pool.Return(buffers);

    /// <summary>Returns buffers whose pipes are empty, idle and at rest: no reset needed.</summary>
    public void ReturnEmpty(ConnectionBuffers buffers)
    {
        System.Diagnostics.Debug.Assert(buffers is { InputBuffered: 0, OutputBuffered: 0, ReceiveSize: 0, Sending.IsEmpty: true, DirectInputLength: 0, ReceivingDirect: false, SendingDirect: false, Reply.Written: 0 }, "Only empty buffers skip the reset.");
        buffers.Empty = true;
        _pool.Return(buffers);
    }

    private sealed class Policy(PipeOptions input, PipeOptions output, int directSize) : IPooledObjectPolicy<ConnectionBuffers>
    {
        public ConnectionBuffers Create() => new(input, output, directSize);

        public bool Return(ConnectionBuffers obj)
        {
            obj.Reset();
            return true;
        }
    }
}
