using System.Net.Sockets;
using PipeChat.Connections;
using PipeChat.Diagnostics;
using PipeChat.Protocols;

namespace PipeChat.Transport;

/// <summary>What every layered connection of one async server shares.</summary>
internal sealed record StreamConnectionResources(
    ConnectionLayers Layers,
    ServerStats Stats,
    IConnectionOwner<StreamConnection> Owner,
    TimeSpan LingerTimeout,
    int ReceiveBuffer);

/// <summary>
/// The async model's layered connection (TLS) on the runtime's sockets: the socket as a
/// <see cref="SocketStream"/>, served as <see cref="LayeredConnection"/> says, by one task that
/// waits in async reads: idle, a zero-byte read of the layer (no buffer held), and, for sessions
/// with output of their own (chat), an outbound loop that awaits a signal.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Released when the connection ends, which owns the lifetime.")]
internal sealed class StreamConnection : LayeredConnection
{
    private readonly CancellationTokenSource _stop = new();
    private AsyncSignal? _outboundSignal;
    private Task? _outbound;

    public StreamConnection(Socket socket, IStreamProtocol protocol, StreamConnectionResources resources, long id)
        : base(protocol, resources, new SocketStream(socket), id)
    {
    }

    protected override CancellationToken HandshakeStop => _stop.Token;

    public override void Signal() => _outboundSignal?.Set();

    protected override void StopReads()
    {
        try
        {
            _stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Closed already.
        }
    }

    // Cancelling a read could run this connection's continuations on the calling thread, so
    // from elsewhere the cancellation is queued instead.
    protected override void StopReadsFromAnyThread() =>
        ThreadPool.UnsafeQueueUserWorkItem(static c => c.StopReads(), this, preferLocal: false);

    /// <summary>A zero-byte read: waits for data without a buffer. Pooled: 0 B per message.</summary>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    protected override async ValueTask<InputWait> WaitForInputAsync(Stream stream) =>
        await ReadOrStopAsync(stream, Memory<byte>.Empty).ConfigureAwait(false) < 0 ? InputWait.Stopped : InputWait.Ready;

    /// <summary>Pooled: it waits once per message (0 B per message).</summary>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    protected override async ValueTask<int> ReadOrStopAsync(Stream stream, Memory<byte> buffer)
    {
        try
        {
            return await stream.ReadAsync(buffer, _stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            if (Aborted)
            {
                throw;
            }

            return -1;
        }
    }

    protected override async Task<bool> PauseAsync(TimeSpan pause)
    {
        try
        {
            await Task.Delay(pause, _stop.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    protected override void StartOutbound()
    {
        var signal = new AsyncSignal();
        _outboundSignal = signal;
        signal.Set();
        _outbound = OutboundLoopAsync(signal, new PooledBufferWriter(OutboundBufferSize));
    }

    protected override Task? EndOutbound()
    {
        _outboundSignal?.Set();
        return _outbound;
    }

    protected override void OnClosed()
    {
        _stop.Dispose();
        Common.Owner.OnConnectionClosed(this);
    }

    private async Task OutboundLoopAsync(AsyncSignal signal, PooledBufferWriter pending)
    {
        do
        {
            await signal.WaitAsync().ConfigureAwait(false);
        }
        while (await DrainOutboundOnceAsync(pending).ConfigureAwait(false));
    }
}
