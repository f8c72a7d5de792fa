using System.Net.Sockets;
using System.Runtime.Versioning;
using PipeChat.Connections;
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
/// The async model's layered connection (TLS) on our epoll I/O: served as <see cref="LayeredConnection"/>
/// says, over an <see cref="EpollSocketStream"/>, but driven by readiness rather than by a read loop
/// that never ends. Between bursts of input an idle connection is parked on its epoll registration:
/// no read of the layer (SslStream) pending, no task, no buffer, no cancellation source. Readiness
/// runs a burst on the epoll loop thread; the burst reads through the layers until the socket is
/// empty, answers, and parks again (or closes). Outbound output (chat) is drained by a run queued
/// only when signalled: none pending while idle.
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
internal sealed class EpollStreamConnection : LayeredConnection, IIdleWaiter
{
    private static readonly TaskCompletionSource OutboundEndedEarly = new();
    private readonly EpollStreamConnectionResources _resources;
    private readonly EpollSocketStream _transport;

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

    // False until a read shows the layer holds nothing: after the handshake the layer may hold
    // input already, so the first wait probes it before parking.
    private bool _mayPark;
    private bool _woken;

    public EpollStreamConnection(Socket socket, IStreamProtocol protocol, EpollStreamConnectionResources resources, long id)
        : this(new EpollSocketStream(socket, resources.Io), protocol, resources, id)
    {
    }

    private EpollStreamConnection(EpollSocketStream transport, IStreamProtocol protocol, EpollStreamConnectionResources resources, long id)
        : base(protocol, resources.Common, transport, id)
    {
        _resources = resources;
        _transport = transport;
    }

    /// <summary>Parked idle on its epoll registration: nothing pending but the registration.</summary>
    public bool Parked => _transport.ParkedIdle;

    public override void Signal() => ScheduleOutbound();

    // From the epoll loop: a parked connection became readable (or was woken to stop).
    // Runs the burst right there, as the plain path does: every call in it is non-blocking, and
    // what has to wait continues on the thread pool. (A wake-up to stop comes on the thread pool.)
    void IIdleWaiter.OnReadable()
    {
        _woken = true;
        _ = ServeAsync();
    }

    // From other connections' threads too (a chat hub, inside its locks): stopping the reads only
    // queues the wake-up of this connection, nothing of it runs there.
    protected override void StopReads()
    {
        _transport.StopReads();
        CancelPause();
    }

    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    protected override async ValueTask<InputWait> WaitForInputAsync(Stream stream)
    {
        if (_woken)
        {
            _woken = false; // Woken by readiness: data waits, read it at once (no park, no zero-byte read).
            return InputWait.Ready;
        }

        if (!_mayPark || _transport.MayHoldRecords)
        {
            // The layer may hold input: ask it without waiting.
            var probe = await ProbeAsync(stream).ConfigureAwait(false);
            if (probe < 0)
            {
                return InputWait.Stopped;
            }

            _mayPark = probe == 0;
        }

        // Idle: parked on the epoll registration, as the layer holds nothing more.
        return _mayPark && _transport.TryParkIdle(this) ? InputWait.Parked : InputWait.Ready;
    }

    /// <summary>Pooled: it waits once per message (0 B per message).</summary>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    protected override async ValueTask<int> ReadOrStopAsync(Stream stream, Memory<byte> buffer)
    {
        try
        {
            var count = await stream.ReadAsync(buffer).ConfigureAwait(false);
            _mayPark = count < buffer.Length; // Less than asked: no decrypted bytes are left over.
            return count;
        }
        catch (ReceiveStoppedException) when (!Aborted)
        {
            return -1;
        }
    }

    protected override async Task<bool> PauseAsync(TimeSpan pause)
    {
        using var cancel = new CancellationTokenSource();
        Volatile.Write(ref _pause, cancel);
        try
        {
            if (StopOrCloseRequested)
            {
                return false;
            }

            // StopReads cancels this from other connections' threads (a chat hub, inside its locks), and
            // the rest of this connection must not run there: a cancelled Task.Delay runs its continuations
            // asynchronously (a wait completed inline, such as a TaskCompletionSource's, would not do).
            await Task.Delay(pause, cancel.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            return !cancel.IsCancellationRequested;
        }
        finally
        {
            Volatile.Write(ref _pause, null);
        }
    }

    protected override void StartOutbound()
    {
        _outboundWork = new OutboundWork(this);
        _pendingOut = new PooledBufferWriter(OutboundBufferSize);
        ScheduleOutbound();
    }

    protected override Task? EndOutbound()
    {
        if (_pendingOut is null)
        {
            return null;
        }

        ScheduleOutbound();
        return OutboundEndAsync();
    }

    protected override void OnClosed() => _resources.Owner.OnConnectionClosed(this);

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
        var pending = _pendingOut!;
        while (true)
        {
            Volatile.Write(ref _outboundState, OutboundRunning);
            if (!await DrainOutboundOnceAsync(pending).ConfigureAwait(false))
            {
                break;
            }

            if (Interlocked.CompareExchange(ref _outboundState, OutboundIdle, OutboundRunning) == OutboundRunning)
            {
                return; // Nothing signalled meanwhile: idle, nothing pending.
            }
        }

        Volatile.Write(ref _outboundState, OutboundEnded);
        if (Interlocked.CompareExchange(ref _outboundEnded, OutboundEndedEarly, null) is { } waiter && waiter != OutboundEndedEarly)
        {
            waiter.TrySetResult();
        }
    }

    /// <summary>Runs a drain of the outbound output (a work item allocated once per connection, not per signal).</summary>
    private sealed class OutboundWork(EpollStreamConnection connection) : IThreadPoolWorkItem
    {
        public void Execute() => _ = connection.DrainOutboundAsync();
    }
}
