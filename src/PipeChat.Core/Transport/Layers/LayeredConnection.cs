using System.Buffers;
using System.Net.Sockets;
using PipeChat.Connections;
using PipeChat.Protocols;

namespace PipeChat.Transport;

/// <summary>
/// What the async model's two layered connections (TLS) share: the layers opened over the socket
/// (the handshake, on this connection's own work), then the session, created only once the layers
/// are open (a client that never completes its handshake never joins a room), driven by the same
/// <see cref="SessionDriver"/> as every other model: its input read, answered and written, its
/// outbound output (chat) drained, and the close. How a connection waits is its own and plugs in
/// here: <see cref="StreamConnection"/> waits in async reads and awaits a signal for outbound
/// output; <see cref="EpollStreamConnection"/> parks on its epoll registration between bursts of
/// input and drains outbound output in a run queued only when signalled.
/// </summary>
/// <remarks>
/// Idle, a connection holds no buffer: buffers are rented per burst of input. Backpressure: the
/// reads await the write of their replies before they read again, so a client that does not read
/// stops being read (TCP backpressure reaches it). Close, as the driver's policy says: the last
/// output (and the layers' close, TLS close_notify) may go on while bytes move and is given up once
/// nothing moved for a whole linger period; then our FIN, then unread input is drained for at most
/// one linger period.
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Released when the connection ends, which owns the lifetime.")]
internal abstract class LayeredConnection : IConnectionOutput, IDrainable
{
    /// <summary>The first size of the buffer outbound output is drained into.</summary>
    protected const int OutboundBufferSize = 4096;

    private readonly IStreamProtocol _protocol;
    private ConnectionLayers.OpenLayers? _open;
    private PooledBufferWriter? _replies;

    // Only with outbound output, which writes besides the reads; without, the reads are the only writer.
    private SemaphoreSlim? _writeLock;
    private volatile bool _finished;
    private int _closeRequested;
    private int _stopRequested;
    private int _aborted;

    protected LayeredConnection(IStreamProtocol protocol, StreamConnectionResources common, SocketStream transport, long id)
    {
        _protocol = protocol;
        Common = common;
        Transport = transport;
        Id = id;
    }

    /// <summary>How <see cref="WaitForInputAsync"/> ended.</summary>
    protected enum InputWait
    {
        /// <summary>Input may be read now.</summary>
        Ready,

        /// <summary>Stopping, closing or aborted interrupted the wait.</summary>
        Stopped,

        /// <summary>Parked: the next readiness serves on (<see cref="ServeAsync"/>); nothing of this run may be touched.</summary>
        Parked,
    }

    /// <summary>The registry slot of this connection.</summary>
    public long Id { get; }

    /// <summary>What the per-IP limit counted for this connection, given back when it closes.</summary>
    public ClientAddress? ClientAddress { get; init; }

    /// <summary>An unexpected exception from the protocol session, if one ended the connection.</summary>
    public Exception? Fault => Driver?.Fault;

    protected StreamConnectionResources Common { get; }

    protected SocketStream Transport { get; }

    /// <summary>The session, once the layers are open.</summary>
    protected SessionDriver? Driver { get; private set; }

    protected bool Aborted => Volatile.Read(ref _aborted) != 0;

    /// <summary>Whether stopping, closing or an abort was asked.</summary>
    protected bool StopOrCloseRequested =>
        Volatile.Read(ref _stopRequested) != 0 || Volatile.Read(ref _closeRequested) != 0 || Aborted;

    /// <summary>What stops the handshake besides a close of the socket.</summary>
    protected virtual CancellationToken HandshakeStop => CancellationToken.None;

    /// <summary>Starts serving on the thread pool, off the accept loop; the owner is told when the connection is gone.</summary>
    public void Start() => ThreadPool.UnsafeQueueUserWorkItem(static c => _ = c.RunAsync(), this, preferLocal: false);

    public void StopReceiving()
    {
        Volatile.Write(ref _stopRequested, 1);
        Driver?.StopReceiving();
        StopReads();
    }

    public void Abort()
    {
        if (Interlocked.Exchange(ref _aborted, 1) == 0)
        {
            StopReads();
            Transport.CloseSocket();
            Signal();
        }
    }

    public abstract void Signal();

    // From other connections' threads too (a chat hub, often inside its locks): see StopReadsFromAnyThread.
    public void RequestClose()
    {
        Volatile.Write(ref _closeRequested, 1);
        Driver?.RequestClose();
        StopReadsFromAnyThread();
        Signal();
    }

    void IConnectionOutput.Abort() => ThreadPool.UnsafeQueueUserWorkItem(static c => c.Abort(), this, preferLocal: false);

    /// <summary>Ends the reads: they return -1 (or <see cref="InputWait.Stopped"/>), a parked connection wakes, a pause ends.</summary>
    protected abstract void StopReads();

    /// <summary><see cref="StopReads"/> from any thread, also one inside other connections' locks, where nothing of this connection may run.</summary>
    protected virtual void StopReadsFromAnyThread() => StopReads();

    /// <summary>Idle, with no buffer held: waits until input may be read, or parks.</summary>
    protected abstract ValueTask<InputWait> WaitForInputAsync(Stream stream);

    /// <summary>A read; -1 once stopping, closing or aborted interrupted it.</summary>
    protected abstract ValueTask<int> ReadOrStopAsync(Stream stream, Memory<byte> buffer);

    /// <summary>Waits out a pause of the input (nothing is read meanwhile); false when the connection stops or closes meanwhile.</summary>
    protected abstract Task<bool> PauseAsync(TimeSpan pause);

    /// <summary>Starts draining outbound output (<see cref="DrainOutboundOnceAsync"/>), first what the session queued on creation (the welcome).</summary>
    protected abstract void StartOutbound();

    /// <summary>
    /// Asks for one more drain of outbound output, the last once the connection finished or aborted,
    /// and returns what completes when the drains ended for good; null without outbound output.
    /// </summary>
    protected abstract Task? EndOutbound();

    /// <summary>The connection is gone and released: tell the owner.</summary>
    protected abstract void OnClosed();

    /// <summary>
    /// One drain of the session's outbound output, written under the write lock: true to drain again
    /// when signalled, false once outbound output ended (aborted, failed, the session asked to close,
    /// or the connection finished). Pooled: 0 B per drain.
    /// </summary>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    protected async ValueTask<bool> DrainOutboundOnceAsync(PooledBufferWriter pending)
    {
        var driver = Driver!;
        try
        {
            if (Aborted)
            {
                return false;
            }

            // The driver reads the close flag before draining: what was queued before a close request still goes out.
            var finished = _finished;
            var keepOpen = driver.DrainOutbound(pending);
            if (pending.WrittenCount > 0)
            {
                await WriteAsync(_open!.Stream, pending.WrittenMemory).ConfigureAwait(false);
            }

            if (!keepOpen)
            {
                driver.RequestClose();
                StopReads();
                return false;
            }

            return !finished;
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            Abort();
            return false;
        }
#pragma warning disable CA1031 // A protocol bug on the outbound output must cost one connection, never the process.
        catch (Exception e)
#pragma warning restore CA1031
        {
            driver.Fail(e);
            Abort();
            return false;
        }
        finally
        {
            pending.Release();
        }
    }

    /// <summary>
    /// Reads, answers and writes until the input waits parked (the next readiness calls this again)
    /// or the connection is to end; then closes it.
    /// </summary>
    protected async Task ServeAsync()
    {
        var driver = Driver!;
        var open = _open!;
        try
        {
            if (await ReadAsync(open.Stream, driver).ConfigureAwait(false))
            {
                return; // Parked: the next readiness serves on; this run holds nothing.
            }

            await CloseAsync(open).ConfigureAwait(false);
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
            driver.Fail(e);
            Abort();
        }

        await FinishAsync().ConfigureAwait(false);
    }

    private async Task RunAsync()
    {
        try
        {
            _open = await Common.Layers.OpenAsync(Transport, HandshakeStop).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // A layer refusing the client (counted and logged by the layer) drops this connection only.
        catch (Exception)
#pragma warning restore CA1031
        {
            Abort();
            await FinishAsync().ConfigureAwait(false);
            return;
        }

        try
        {
            var driver = new SessionDriver(_protocol, this, Common.LingerTimeout);
            Driver = driver;
            if (Volatile.Read(ref _closeRequested) != 0)
            {
                driver.RequestClose();
            }

            if (Volatile.Read(ref _stopRequested) != 0)
            {
                driver.StopReceiving();
            }

            if (driver.HasOutbound)
            {
                _writeLock = new SemaphoreSlim(1, 1);
                StartOutbound();
            }
        }
#pragma warning disable CA1031 // A protocol bug must cost one connection, never the server.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Driver?.Fail(e);
            Abort();
            await FinishAsync().ConfigureAwait(false);
            return;
        }

        await ServeAsync().ConfigureAwait(false);
    }

    private async Task FinishAsync()
    {
        Abort();
        if (EndOutbound() is { } outbound)
        {
            await outbound.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _open?.Dispose();
        Transport.Dispose();
        Driver?.OnClosed();
        OnClosed();
    }

    /// <summary>The input side: true once parked (nothing of this run may be touched after), false when the connection is to close.</summary>
    private async Task<bool> ReadAsync(Stream stream, SessionDriver driver)
    {
        var replies = _replies ??= new PooledBufferWriter(Common.ReceiveBuffer);
        var parked = false;
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
                        // Idle: wait for data without a buffer (the layer's own is released too), or park.
                        var wait = await WaitForInputAsync(stream).ConfigureAwait(false);
                        if (wait != InputWait.Ready)
                        {
                            parked = wait == InputWait.Parked;
                            return parked;
                        }

                        buffer = ArrayPool<byte>.Shared.Rent(Common.ReceiveBuffer);
                    }
                    else if (buffered == buffer.Length)
                    {
                        // The session kept everything (an unfinished frame): grow, within a bound.
                        if (!InputBuffer.TryGrow(ref buffer, buffered))
                        {
                            return false;
                        }
                    }

                    var count = await ReadOrStopAsync(stream, buffer.AsMemory(buffered)).ConfigureAwait(false);
                    if (count < 0)
                    {
                        return false;
                    }

                    ended = count == 0;
                    buffered += count;
                    Common.Stats.OnReceived(count);
                    Common.Stats.ObserveBuffered(buffered);
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
                    return false;
                }

                if (action == SessionAction.Pause)
                {
                    // Read nothing meanwhile: unread input stays in the kernel, backpressure reaches the sender.
                    if (!await PauseAsync(driver.InputPause).ConfigureAwait(false))
                    {
                        return false;
                    }

                    resumed = true;
                }
                else if (ended)
                {
                    return false;
                }
            }

            return false;
        }
        finally
        {
            // Parked: the replies were released and the buffer given back before the park (the
            // next run may have started already): touch nothing.
            if (!parked)
            {
                replies.Release();
                if (buffer is not null)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }
    }

    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteAsync(Stream stream, ReadOnlyMemory<byte> data)
    {
        var writeLock = _writeLock;
        if (writeLock is not null)
        {
            await writeLock.WaitAsync().ConfigureAwait(false);
        }

        try
        {
            await stream.WriteAsync(data).ConfigureAwait(false);
            Common.Stats.OnSent(data.Length);
        }
        finally
        {
            writeLock?.Release();
        }
    }

    /// <summary>Flush (while bytes move), close the layers (close_notify), FIN, drain unread input for a bounded time.</summary>
    private async Task CloseAsync(ConnectionLayers.OpenLayers open)
    {
        _finished = true;
        if (EndOutbound() is { } outbound && !await WhileMovingAsync(outbound).ConfigureAwait(false))
        {
            return;
        }

        if (Aborted)
        {
            return;
        }

        if (!await WhileMovingAsync(CloseLayersAsync(open)).ConfigureAwait(false) || Aborted)
        {
            return;
        }

        Transport.Socket.Shutdown(SocketShutdown.Send);
        using var linger = new CancellationTokenSource(Common.LingerTimeout);
        var scratch = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            while (await Transport.DrainAsync(scratch, linger.Token).ConfigureAwait(false) > 0)
            {
            }
        }
        catch (OperationCanceledException)
        {
            // The peer did not close within the linger period.
        }
        catch (IOException)
        {
            // Reset by the peer, or aborted meanwhile.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    private async Task CloseLayersAsync(ConnectionLayers.OpenLayers open)
    {
        var writeLock = _writeLock;
        if (writeLock is not null)
        {
            await writeLock.WaitAsync().ConfigureAwait(false);
        }

        try
        {
            await open.CloseAsync().ConfigureAwait(false);
        }
        finally
        {
            writeLock?.Release();
        }
    }

    private Task<bool> WhileMovingAsync(Task work) =>
        LingeringWork.WhileMovingAsync(work, Transport, Common.LingerTimeout, Abort, () => Aborted);
}
