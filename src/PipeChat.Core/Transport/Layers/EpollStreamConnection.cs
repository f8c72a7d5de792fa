using System.Buffers;
using System.Net.Sockets;
using System.Runtime.Versioning;
using PipeChat.Connections;
using PipeChat.Diagnostics;
using PipeChat.Protocols;
using PipeChat.Transport.Epoll;

namespace PipeChat.Transport;

/// <summary>What every layered connection of one async server on epoll I/O shares.</summary>
[SupportedOSPlatform("linux")]
internal sealed record EpollStreamConnectionResources(
    StreamConnectionResources Common,
    IConnectionOwner<EpollStreamConnection> Owner,
    EpollSocketIo.Factory Io);

/// <summary>
/// The async model's layered connection (TLS) on our epoll I/O: the same session driving and close
/// policy as <see cref="StreamConnection"/>, over an <see cref="EpollSocketStream"/>, but driven
/// by readiness rather than by a read loop that never ends. Between bursts of input an idle
/// connection is parked on its epoll registration: no read of the layer (SslStream) pending, no
/// task, no buffer, no cancellation source. Readiness runs a burst on the epoll loop thread; the burst
/// reads through the layers until the socket is empty, answers, and parks again (or closes).
/// </summary>
/// <remarks>
/// A burst parks only when the layer above holds nothing it could return without reading the
/// socket: the last read returned less than asked (so no decrypted bytes are left over) and at
/// most one TLS record came since the layer last read from the socket (the one that gave the data;
/// a second one could be a close_notify the layer processed after the data). Otherwise, and right after the handshake, it waits as
/// <see cref="StreamConnection"/> does: a zero-byte read of the layer. Stop, close requests and
/// aborts reach a parked connection through its stream (<see cref="EpollSocketStream.StopReads"/>,
/// <see cref="EpollSocketStream.CloseSocket"/>), which wakes it.
/// </remarks>
[SupportedOSPlatform("linux")]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Released when the connection ends, which owns the lifetime.")]
internal sealed class EpollStreamConnection : IConnectionOutput, IDrainable, IIdleWaiter
{
    private readonly IStreamProtocol _protocol;
    private readonly EpollStreamConnectionResources _resources;
    private readonly EpollSocketStream _transport;
    private SemaphoreSlim? _writeLock;
    private SessionDriver? _driver;
    private ConnectionLayers.OpenLayers? _open;
    private PooledBufferWriter? _replies;
    private static readonly TaskCompletionSource OutboundEndedEarly = new();

    // Outbound output (chat): drained by a run queued when signalled, none pending while idle.
    private const int OutboundIdle = 0;
    private const int OutboundRunning = 1;
    private const int OutboundSignalled = 2;
    private const int OutboundEnded = 3;
    private int _outboundState;
    private TaskCompletionSource? _outboundEnded;
    private PooledBufferWriter? _pendingOut;
    private OutboundWork? _outboundWork;
    private CancellationTokenSource? _pause;
    private bool _mayPark;
    private bool _woken;
    private volatile bool _finished;
    private int _closeRequested;
    private int _stopRequested;
    private int _aborted;

    public EpollStreamConnection(Socket socket, IStreamProtocol protocol, EpollStreamConnectionResources resources, long id)
    {
        _protocol = protocol;
        _resources = resources;
        _transport = new EpollSocketStream(socket, resources.Io);
        Id = id;
    }

    /// <summary>The registry slot of this connection.</summary>
    public long Id { get; }

    /// <summary>What the per-IP limit counted for this connection, given back when it closes.</summary>
    public ClientAddress? ClientAddress { get; init; }

    /// <summary>An unexpected exception from the protocol session, if one ended the connection.</summary>
    public Exception? Fault => _driver?.Fault;

    /// <summary>Parked idle on its epoll registration: nothing pending but the registration.</summary>
    public bool Parked => _transport.ParkedIdle;

    private StreamConnectionResources Common => _resources.Common;

    private bool Aborted => Volatile.Read(ref _aborted) != 0;

    /// <summary>Starts serving on the thread pool, off the accept loop; the owner is told when the connection is gone.</summary>
    public void Start() => ThreadPool.UnsafeQueueUserWorkItem(static c => _ = c.RunAsync(), this, preferLocal: false);

    public void StopReceiving()
    {
        Volatile.Write(ref _stopRequested, 1);
        _driver?.StopReceiving();
        StopReads();
    }

    public void Abort()
    {
        if (Interlocked.Exchange(ref _aborted, 1) == 0)
        {
            _transport.StopReads();
            CancelPause();
            _transport.CloseSocket();
            ScheduleOutbound();
        }
    }

    public void Signal() => ScheduleOutbound();

    // From other connections' threads too (a chat hub, inside its locks): stopping the reads only
    // queues the wake-up of this connection, nothing of it runs here.
    public void RequestClose()
    {
        Volatile.Write(ref _closeRequested, 1);
        _driver?.RequestClose();
        StopReads();
        ScheduleOutbound();
    }

    void IConnectionOutput.Abort() => ThreadPool.UnsafeQueueUserWorkItem(static c => c.Abort(), this, preferLocal: false);

    // From the epoll loop: a parked connection became readable (or was woken to stop).
    // Runs the burst right there, as the plain path does: every call in it is non-blocking, and
    // what has to wait continues on the thread pool. (A wake-up to stop comes on the thread pool.)
    void IIdleWaiter.OnReadable()
    {
        _woken = true;
        _ = BurstAsync();
    }

    private void StopReads()
    {
        _transport.StopReads();
        CancelPause();
    }

    private void CancelPause()
    {
        try
        {
            Volatile.Read(ref _pause)?.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The pause is over.
        }
    }

    private async Task RunAsync()
    {
        try
        {
            _open = await Common.Layers.OpenAsync(_transport, CancellationToken.None).ConfigureAwait(false);
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
            _driver = driver;
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
                _outboundWork = new OutboundWork(this);
                _pendingOut = new PooledBufferWriter(4096);
                ScheduleOutbound(); // What the session queued on creation (the welcome).
            }
        }
#pragma warning disable CA1031 // A protocol bug must cost one connection, never the server.
        catch (Exception e)
#pragma warning restore CA1031
        {
            _driver?.Fail(e);
            Abort();
            await FinishAsync().ConfigureAwait(false);
            return;
        }

        // After the handshake the layer may hold input already: the first wait probes it before parking.
        _mayPark = false;
        await BurstAsync().ConfigureAwait(false);
    }

    /// <summary>Reads, answers and writes until the socket is empty, then parks; or closes the connection.</summary>
    private async Task BurstAsync()
    {
        var driver = _driver!;
        var stream = _open!.Stream;
        try
        {
            if (await ReadAsync(stream, driver).ConfigureAwait(false))
            {
                return; // Parked: the next readiness starts the next burst; this one holds nothing.
            }

            await CloseAsync(_open).ConfigureAwait(false);
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

    private async Task FinishAsync()
    {
        Abort();
        if (_pendingOut is not null)
        {
            ScheduleOutbound();
            await OutboundEndAsync().ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _open?.Dispose();
        _transport.Dispose();
        _driver?.OnClosed();
        _resources.Owner.OnConnectionClosed(this);
    }

    /// <summary>The read side of one burst: true once parked (nothing of this burst may be touched after), false when the connection is to close.</summary>
    private async Task<bool> ReadAsync(Stream stream, SessionDriver driver)
    {
        var replies = _replies ??= new PooledBufferWriter(Common.ReceiveBuffer);

        // Woken by readiness: data waits, read it at once (no park, no zero-byte read).
        var readable = _woken;
        _woken = false;
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
                        if (readable)
                        {
                            readable = false; // Woken by readiness: read at once.
                        }
                        else
                        {
                            if (!_mayPark || _transport.MayHoldRecords)
                            {
                                // The layer may hold input: ask it without waiting.
                                var probe = await ProbeAsync(stream).ConfigureAwait(false);
                                if (probe < 0)
                                {
                                    return false;
                                }

                                _mayPark = probe == 0;
                            }

                            if (_mayPark && _transport.TryParkIdle(this))
                            {
                                // Idle: parked on the epoll registration, as the layer holds nothing more.
                                parked = true;
                                return true;
                            }
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

                    var asked = buffer.Length - buffered;
                    var count = await ReadOrStopAsync(stream, buffer.AsMemory(buffered)).ConfigureAwait(false);
                    if (count < 0)
                    {
                        return false;
                    }

                    _mayPark = count < asked;
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
            // next burst may run already): touch nothing.
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

    /// <summary>Waits out a pause; false when the connection stops or closes meanwhile.</summary>
    private async Task<bool> PauseAsync(TimeSpan pause)
    {
        using var cancel = new CancellationTokenSource();
        Volatile.Write(ref _pause, cancel);
        try
        {
            if (Volatile.Read(ref _stopRequested) != 0 || Volatile.Read(ref _closeRequested) != 0 || Aborted)
            {
                return false;
            }

            await Task.Delay(pause, cancel.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        finally
        {
            Volatile.Write(ref _pause, null);
        }
    }

    /// <summary>
    /// 0 when the layer holds nothing and the socket is empty (park now), 1 when there is input to
    /// read, -1 once stopping, closing or aborted interrupted it.
    /// </summary>
    private async ValueTask<int> ProbeAsync(Stream stream)
    {
        try
        {
            await _transport.ProbeAsync(stream).ConfigureAwait(false);
            return 1;
        }
        catch (ReadWouldWaitException)
        {
            return 0;
        }
        catch (ReceiveStoppedException) when (!Aborted)
        {
            return -1;
        }
    }

    /// <summary>A read; -1 once stopping, closing or aborted interrupted it. Pooled: it waits once per message (0 B per message).</summary>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReadOrStopAsync(Stream stream, Memory<byte> buffer)
    {
        try
        {
            return await stream.ReadAsync(buffer).ConfigureAwait(false);
        }
        catch (ReceiveStoppedException) when (!Aborted)
        {
            return -1;
        }
    }

    /// <summary>Queues a drain of the outbound output unless one runs (it then drains once more).</summary>
    private void ScheduleOutbound()
    {
        if (_pendingOut is null)
        {
            return; // No outbound output, or the session is not there yet (its creation schedules one).
        }

        while (true)
        {
            var state = Volatile.Read(ref _outboundState);
            if (state >= OutboundSignalled)
            {
                return;
            }

            if (Interlocked.CompareExchange(ref _outboundState, state + 1, state) == state)
            {
                if (state == OutboundIdle)
                {
                    ThreadPool.UnsafeQueueUserWorkItem(_outboundWork!, preferLocal: false);
                }

                return;
            }
        }
    }

    /// <summary>Completes once outbound output ended for good (the connection finished or was aborted).</summary>
    private Task OutboundEndAsync()
    {
        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var ended = Interlocked.CompareExchange(ref _outboundEnded, waiter, null) ?? waiter;
        return ended == OutboundEndedEarly || Volatile.Read(ref _outboundState) == OutboundEnded ? Task.CompletedTask : ended.Task;
    }

    private async Task DrainOutboundAsync()
    {
        var driver = _driver!;
        var stream = _open!.Stream;
        var pending = _pendingOut!;
        try
        {
            while (true)
            {
                Volatile.Write(ref _outboundState, OutboundRunning);
                if (Aborted)
                {
                    break;
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
                    StopReads();
                    break;
                }

                if (finished)
                {
                    break;
                }

                if (Interlocked.CompareExchange(ref _outboundState, OutboundIdle, OutboundRunning) == OutboundRunning)
                {
                    return; // Nothing signalled meanwhile: idle, nothing pending.
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            Abort();
        }
#pragma warning disable CA1031 // A protocol bug on the outbound output must cost one connection, never the process.
        catch (Exception e)
#pragma warning restore CA1031
        {
            driver.Fail(e);
            Abort();
        }

        pending.Release();
        Volatile.Write(ref _outboundState, OutboundEnded);
        if (Interlocked.CompareExchange(ref _outboundEnded, OutboundEndedEarly, null) is { } waiter && waiter != OutboundEndedEarly)
        {
            waiter.TrySetResult();
        }
    }

    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteAsync(Stream stream, ReadOnlyMemory<byte> data)
    {
        if (_writeLock is not { } writeLock)
        {
            // Without outbound output the burst is the only writer.
            await stream.WriteAsync(data).ConfigureAwait(false);
            Common.Stats.OnSent(data.Length);
            return;
        }

        await writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            await stream.WriteAsync(data).ConfigureAwait(false);
            Common.Stats.OnSent(data.Length);
        }
        finally
        {
            writeLock.Release();
        }
    }

    /// <summary>Flush (while bytes move), close the layers (close_notify), FIN, drain unread input for a bounded time.</summary>
    private async Task CloseAsync(ConnectionLayers.OpenLayers open)
    {
        _finished = true;
        if (_pendingOut is not null)
        {
            ScheduleOutbound();
            if (!await WhileMovingAsync(OutboundEndAsync()).ConfigureAwait(false))
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

        _transport.Socket.Shutdown(SocketShutdown.Send);
        using var linger = new CancellationTokenSource(Common.LingerTimeout);
        var scratch = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            while (await _transport.DrainAsync(scratch, linger.Token).ConfigureAwait(false) > 0)
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
        if (_writeLock is not { } writeLock)
        {
            await open.CloseAsync().ConfigureAwait(false);
            return;
        }

        await writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            await open.CloseAsync().ConfigureAwait(false);
        }
        finally
        {
            writeLock.Release();
        }
    }

    private Task<bool> WhileMovingAsync(Task work) =>
        LingeringWork.WhileMovingAsync(work, _transport, Common.LingerTimeout, Abort, () => Aborted);

    /// <summary>Runs a drain of the outbound output (a work item allocated once per connection, not per signal).</summary>
    private sealed class OutboundWork(EpollStreamConnection connection) : IThreadPoolWorkItem
    {
        public void Execute() => _ = connection.DrainOutboundAsync();
    }
}
