using System.Buffers;
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
/// The async model's connection when connection layers run (TLS): the socket as a <see cref="SocketStream"/>,
/// the layers opened over it (the handshake, on this connection's task), then a read loop and, for
/// sessions with output of their own (chat), an outbound loop, both driving the same
/// <see cref="SessionDriver"/> as every other model. The session is created only once the layers are
/// open: a client that never completes its handshake never joins a room. Idle, it holds no buffer:
/// it waits with a zero-byte read, and rents its buffers per burst.
/// </summary>
/// <remarks>
/// Backpressure: the read loop awaits the write of its replies before it reads again, so a client
/// that does not read stops being read (TCP backpressure reaches it). Close, as the driver's policy
/// says: the last output (and the layers' close, TLS close_notify) may go on while bytes move and is
/// given up once nothing moved for a whole linger period; then our FIN, then unread input is drained
/// for at most one linger period.
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Released at the end of RunAsync, which owns the lifetime.")]
internal sealed class StreamConnection : IConnectionOutput, IDrainable
{
    private readonly IStreamProtocol _protocol;
    private readonly StreamConnectionResources _resources;
    private readonly SocketStream _transport;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private SessionDriver? _driver;
    private AsyncSignal? _outboundSignal;
    private volatile bool _finished;
    private int _closeRequested;
    private int _stopRequested;
    private int _aborted;

    public StreamConnection(Socket socket, IStreamProtocol protocol, StreamConnectionResources resources, long id)
    {
        _protocol = protocol;
        _resources = resources;
        _transport = new SocketStream(socket);
        Id = id;
    }

    /// <summary>The registry slot of this connection.</summary>
    public long Id { get; }

    /// <summary>What the per-IP limit counted for this connection, given back when it closes.</summary>
    public ClientAddress? ClientAddress { get; init; }

    /// <summary>An unexpected exception from the protocol session, if one ended the connection.</summary>
    public Exception? Fault => _driver?.Fault;

    /// <summary>Starts serving on the thread pool, off the accept loop; the owner is told when the connection is gone.</summary>
    public void Start() => ThreadPool.UnsafeQueueUserWorkItem(static c => _ = c.RunAsync(), this, preferLocal: false);

    public void StopReceiving()
    {
        Volatile.Write(ref _stopRequested, 1);
        _driver?.StopReceiving();
        CancelReads();
    }

    public void Abort()
    {
        if (Interlocked.Exchange(ref _aborted, 1) == 0)
        {
            CancelReads();
            _transport.Socket.Dispose();
            _outboundSignal?.Set();
        }
    }

    public void Signal() => _outboundSignal?.Set();

    // RequestClose and the session's Abort come from other connections' threads too (a chat hub,
    // often inside its locks): cancelling a read there could run this connection's continuations on
    // that thread, so the cancellation is queued instead.
    public void RequestClose()
    {
        Volatile.Write(ref _closeRequested, 1);
        _driver?.RequestClose();
        ThreadPool.UnsafeQueueUserWorkItem(static c => c.CancelReads(), this, preferLocal: false);
        _outboundSignal?.Set();
    }

    void IConnectionOutput.Abort() => ThreadPool.UnsafeQueueUserWorkItem(static c => c.Abort(), this, preferLocal: false);

    private bool Aborted => Volatile.Read(ref _aborted) != 0;

    private void CancelReads()
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

    private async Task RunAsync()
    {
        ConnectionLayers.OpenLayers? open = null;
        Task? outbound = null;
        try
        {
            try
            {
                open = await _resources.Layers.OpenAsync(_transport, _stop.Token).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // A layer refusing the client (counted and logged by the layer) drops this connection only.
            catch (Exception)
#pragma warning restore CA1031
            {
                Abort();
                return;
            }

            _driver = new SessionDriver(_protocol, this, _resources.LingerTimeout);
            if (Volatile.Read(ref _closeRequested) != 0)
            {
                _driver.RequestClose();
            }

            if (Volatile.Read(ref _stopRequested) != 0)
            {
                _driver.StopReceiving();
            }

            if (_driver.HasOutbound)
            {
                _outboundSignal = new AsyncSignal();
                _outboundSignal.Set();
                outbound = OutboundLoopAsync(open.Stream, _driver);
            }

            await ReadLoopAsync(open.Stream, _driver).ConfigureAwait(false);
            await CloseAsync(open, outbound).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // Reset, aborted, or the peer went away mid-close.
            Abort();
        }
#pragma warning disable CA1031 // A protocol bug must cost one connection, never the server.
        catch (Exception e)
#pragma warning restore CA1031
        {
            _driver?.Fail(e);
            Abort();
        }
        finally
        {
            Abort();
            if (outbound is not null)
            {
                await outbound.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            open?.Dispose();
            _transport.Dispose();
            _stop.Dispose();
            _driver?.OnClosed();
            _resources.Owner.OnConnectionClosed(this);
        }
    }

    private async Task ReadLoopAsync(Stream stream, SessionDriver driver)
    {
        var replies = new PooledBufferWriter(_resources.ReceiveBuffer);
        byte[]? buffer = null;
        var buffered = 0;
        var ended = false;
        var resumed = false;
        try
        {
            while (!driver.CloseFlagged && !Aborted)
            {
                // After a pause the held-back input is offered again before anything more is read.
                var offer = ended || resumed;
                if (!offer)
                {
                    if (buffered == 0 && buffer is not null)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = null;
                    }

                    if (buffer is null)
                    {
                        // Idle: wait for data without a buffer (the layer's own is released too).
                        if (await ReadOrStopAsync(stream, Memory<byte>.Empty).ConfigureAwait(false) < 0)
                        {
                            return;
                        }

                        buffer = ArrayPool<byte>.Shared.Rent(_resources.ReceiveBuffer);
                    }
                    else if (buffered == buffer.Length)
                    {
                        // The session kept everything (an unfinished frame): grow, within a bound.
                        if (!InputBuffer.TryGrow(ref buffer, buffered))
                        {
                            return;
                        }
                    }

                    var count = await ReadOrStopAsync(stream, buffer.AsMemory(buffered)).ConfigureAwait(false);
                    if (count < 0)
                    {
                        return;
                    }

                    ended = count == 0;
                    buffered += count;
                    _resources.Stats.OnReceived(count);
                    _resources.Stats.ObserveBuffered(buffered);
                }

                resumed = false;
                var action = driver.OnInput(buffer, ref buffered, ended, replies);

                if (replies.WrittenCount > 0)
                {
                    await WriteAsync(stream, replies.WrittenMemory).ConfigureAwait(false);
                    replies.Release();
                }

                if (action == SessionAction.Close)
                {
                    return;
                }

                if (action == SessionAction.Pause)
                {
                    // Read nothing meanwhile: unread input stays in the kernel, backpressure reaches the sender.
                    try
                    {
                        await Task.Delay(driver.InputPause, _stop.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }

                    resumed = true;
                }
                else if (ended)
                {
                    return;
                }
            }
        }
        finally
        {
            replies.Release();
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>A read; -1 once stopping, closing or aborted interrupted it. Pooled: it waits once per message (0 B per message).</summary>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReadOrStopAsync(Stream stream, Memory<byte> buffer)
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

    private async Task OutboundLoopAsync(Stream stream, SessionDriver driver)
    {
        var pending = new PooledBufferWriter(4096);
        try
        {
            while (true)
            {
                await _outboundSignal!.WaitAsync().ConfigureAwait(false);
                if (Aborted)
                {
                    return;
                }

                // The driver reads the close flag before draining: what was queued before a close request still goes out.
                var finished = _finished;
                var keepOpen = driver.DrainOutbound(pending);
                if (pending.WrittenCount > 0)
                {
                    await WriteAsync(stream, pending.WrittenMemory).ConfigureAwait(false);
                }

                pending.Release();
                if (!keepOpen)
                {
                    driver.RequestClose();
                    CancelReads();
                    return;
                }

                if (finished)
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            Abort();
        }
#pragma warning disable CA1031 // A protocol bug on the outbound loop must cost one connection, never the process.
        catch (Exception e)
#pragma warning restore CA1031
        {
            driver.Fail(e);
            Abort();
        }
        finally
        {
            pending.Release();
        }
    }

    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteAsync(Stream stream, ReadOnlyMemory<byte> data)
    {
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            await stream.WriteAsync(data).ConfigureAwait(false);
            _resources.Stats.OnSent(data.Length);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Flush (while bytes move), close the layers (close_notify), FIN, drain unread input for a bounded time.</summary>
    private async Task CloseAsync(ConnectionLayers.OpenLayers open, Task? outbound)
    {
        _finished = true;
        if (outbound is not null)
        {
            _outboundSignal!.Set();
            if (!await WhileMovingAsync(outbound).ConfigureAwait(false))
            {
                return;
            }
        }

        if (Aborted)
        {
            return;
        }

        if (!await WhileMovingAsync(CloseLayersAsync(open)).ConfigureAwait(false) || Aborted)
        {
            return;
        }

        var socket = _transport.Socket;
        socket.Shutdown(SocketShutdown.Send);
        using var linger = new CancellationTokenSource(_resources.LingerTimeout);
        var scratch = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            while (await socket.ReceiveAsync(scratch, SocketFlags.None, linger.Token).ConfigureAwait(false) > 0)
            {
            }
        }
        catch (OperationCanceledException)
        {
            // The peer did not close within the linger period.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    private async Task CloseLayersAsync(ConnectionLayers.OpenLayers open)
    {
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            await open.CloseAsync().ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private Task<bool> WhileMovingAsync(Task work) =>
        LingeringWork.WhileMovingAsync(work, _transport, _resources.LingerTimeout, Abort, () => Aborted);
}
