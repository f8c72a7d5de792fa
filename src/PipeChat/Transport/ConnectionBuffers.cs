using System.Buffers;
using System.IO.Pipelines;
using Microsoft.Extensions.ObjectPool;
using PipeChat.Connections;
using PipeChat.Diagnostics;

namespace PipeChat.Transport;

/// <summary>
/// What a connection needs only while bytes are moving: the input and output pipes. Rented from <see cref="TransportResources"/> when a connection has work and
/// returned as soon as both pipes are empty and nothing is in flight, so an idle connection
/// holds none of it.
/// </summary>
internal sealed class ConnectionBuffers
{
    public ConnectionBuffers(PipeOptions input, PipeOptions output)
    {
        Input = new Pipe(input);
        Output = new Pipe(output);
    }

    public Pipe Input { get; }

    public Pipe Output { get; }

    /// <summary>Received bytes the session has not consumed yet.</summary>
    public long InputBuffered { get; set; }

    /// <summary>Bytes flushed to the output pipe and not sent yet.</summary>
    public long OutputBuffered { get; set; }

    /// <summary>Length of the buffer handed to the receive in flight.</summary>
    public int ReceiveSize { get; set; }

    /// <summary>The buffer of the send in flight (read from the output pipe, advanced past once sent).</summary>
    public ReadOnlySequence<byte> Sending { get; set; }

    /// <summary>Makes the buffers as new: pipes emptied (their memory back in the pool), counters zero.</summary>
    public void Reset()
    {
        Input.Reader.Complete();
        Input.Writer.Complete();
        Input.Reset();
        Output.Reader.Complete();
        Output.Writer.Complete();
        Output.Reset();
        InputBuffered = 0;
        OutputBuffered = 0;
        ReceiveSize = 0;
        Sending = default;
    }
}

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
        _pool = provider.Create(new Policy(input, output));
    }

    public TransportOptions Options { get; }

    public ServerStats Stats { get; }

    public IConnectionOwner<SocketConnection> Owner { get; }

    /// <summary>After the server closes a connection, how long unread input is drained so the close is a FIN, not a reset.</summary>
    public TimeSpan LingerTimeout { get; }

    public ISocketIoFactory Io { get; }

    public ConnectionBuffers Rent() => _pool.Get();

    public void Return(ConnectionBuffers buffers) => _pool.Return(buffers);

    private sealed class Policy(PipeOptions input, PipeOptions output) : IPooledObjectPolicy<ConnectionBuffers>
    {
        public ConnectionBuffers Create() => new(input, output);

        public bool Return(ConnectionBuffers obj)
        {
            obj.Reset();
            return true;
        }
    }
}
