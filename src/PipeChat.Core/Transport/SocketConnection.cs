using System.Buffers;
using System.Diagnostics;
using System.Net.Sockets;
using PipeChat.Connections;
using PipeChat.Protocols;

namespace PipeChat.Transport;

/// <summary>
/// One accepted socket on the async transport, driven by events instead of loops: a socket
/// completion or a wake-up runs <see cref="Pump"/>, which receives into the input pipe, lets
/// the <see cref="SessionDriver"/> turn input into output (the session and the close policy are
/// the same for every model; this class only moves bytes), and sends the output pipe, for as long as
/// there is work; then it arms a zero-byte receive and returns. Nothing waits while a
/// connection is idle: it holds its socket, one receive args object with no buffer, and
/// this object. The pipes and the send args (<see cref="ConnectionBuffers"/>) are rented
/// while bytes are in flight and returned once both pipes are empty. While they are empty, a
/// receive lands in a small array the session reads from, and its reply is sent from another
/// (<see cref="ReplyWriter"/>): a request/response message then touches neither pipe.
/// </summary>
/// <remarks>
/// Backpressure, end to end: while a send is pending, output accumulates in the output pipe;
/// past <see cref="TransportOptions.OutputPauseThreshold"/> the session is not run, received
/// input accumulates in the input pipe, and past <see cref="TransportOptions.InputPauseThreshold"/>
/// the socket is not read until the client drains (unless the session kept all of it, waiting for the rest of a
/// frame: then up to <see cref="InputBuffer.MaxSize"/>). One pump runs at a time (a work counter
/// serializes completions and wake-ups), and the hot path allocates nothing.
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Released at the end of CloseAsync, which owns the lifetime.")]
internal sealed class SocketConnection : IConnectionOutput, IThreadPoolWorkItem, IDrainable, ISocketIoCallback
{
    // Completions waiting for the pump (or, once closing, for CloseAsync).
    private const int ReceiveDone = 1;
    private const int SendDone = 2;

    private readonly SessionDriver _driver;
    private readonly TransportResources _resources;
    private readonly SocketIo _io;
    private ConnectionBuffers? _buffers;
    private SemaphoreSlim? _closeWake;
    private byte[]? _drainScratch;
    private int _events;
    private int _pumpRequests;
    private int _wakeQueued;
    private int _abortRequested;
    private int _disposed;
    private int _resumeDue;
    private ITimer? _pauseTimer;

    // Owned by the pump (then by CloseAsync): never touched concurrently.
    private ReceiveState _receiveState;
    private bool _readable;
    private bool _busy;
    private bool _newInput;
    private bool _inputEnded;
    private bool _sending;
    private bool _closing;

    // The session asked for a break (SessionAction.Pause): no reads and no input for it until the timer fires.
    private bool _paused;

    // The session was offered all buffered input and kept it (an unfinished frame, e.g. a long chat line): only
    // more bytes let it go on, so reading continues past the pause threshold, up to InputBuffer.MaxSize as in
    // the other models.
    private bool _wantsMore;

    public SocketConnection(Socket socket, IStreamProtocol protocol, TransportResources resources, long id)
    {
        _resources = resources;
        Id = id;
        _io = resources.Io.Create(socket, this);

        // Wake-ups before Start are only recorded: Start queues the first pump.
        _wakeQueued = 1;
        _driver = new SessionDriver(protocol, this, resources.LingerTimeout);
        _io.Companion = _driver;
    }

    private enum ReceiveState : byte
    {
        Idle,
        Waiting,
        Receiving,
    }

    /// <summary>The registry slot of this connection.</summary>
    public long Id { get; }

    /// <summary>What the per-IP limit counted for this connection, given back when it closes.</summary>
    public ClientAddress? ClientAddress { get; init; }

    /// <summary>An unexpected exception from the protocol session, if one ended the connection.</summary>
    public Exception? Fault => _driver.Fault;

    private TransportOptions Options => _resources.Options;

    /// <summary>Starts serving, off the caller's stack; the owner is told when the connection is gone.</summary>
    public void Start() => ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);

    /// <summary>
    /// Graceful stop: take no more input; what was already read is answered and flushed, then
    /// our side closes. Not shutdown(SHUT_RD): that would make a real EOF from the peer
    /// indistinguishable, and closing on unread input resets the connection.
    /// </summary>
    public void StopReceiving()
    {
        _driver.StopReceiving();
        QueueWake();
    }

    /// <summary>Hard stop: the socket is closed now and pending operations fail.</summary>
    public void Abort()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _io.Close();

            // Pending operations fail and wake the pump; the wake-up covers a pump with none.
            QueueWake();
        }
    }

    // Signal, RequestClose and the sink's Abort come from other connections' threads (a chat
    // publisher, often inside the hub's locks). Pumping this connection there would run its
    // session on that thread, so the wake-up is queued instead, once per burst: no allocation
    // (this is the work item), no re-entrancy into the hub.
    public void Signal() => QueueWake();

    public void RequestClose()
    {
        _driver.RequestClose();
        QueueWake();
    }

    void IConnectionOutput.Abort()
    {
        Volatile.Write(ref _abortRequested, 1);
        QueueWake();
    }

    void IThreadPoolWorkItem.Execute()
    {
        Volatile.Write(ref _wakeQueued, 0);
        if (Volatile.Read(ref _abortRequested) != 0)
        {
            Abort();
        }

        Schedule();
    }

    void ISocketIoCallback.OnReceiveCompleted()
    {
        Interlocked.Or(ref _events, ReceiveDone);
        Schedule();
    }

    void ISocketIoCallback.OnSendCompleted()
    {
        Interlocked.Or(ref _events, SendDone);
        Schedule();
    }

    private void QueueWake()
    {
        if (Interlocked.Exchange(ref _wakeQueued, 1) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    /// <summary>Runs the pump on this thread unless it is running; then that run goes round once more.</summary>
    private void Schedule()
    {
        if (Interlocked.Increment(ref _pumpRequests) != 1)
        {
            return;
        }

        int observed;
        do
        {
            observed = Volatile.Read(ref _pumpRequests);
            Pump();
        }
        while (Interlocked.Add(ref _pumpRequests, -observed) != 0);
    }

    private void Pump()
    {
        if (_closing)
        {
            // CloseAsync owns the connection now and consumes the events itself.
            _closeWake!.Release();
            return;
        }

        try
        {
            var events = Interlocked.Exchange(ref _events, 0);
            if ((events & SendDone) != 0 && !OnSendCompleted())
            {
                // A receive completion taken with it was not handled: CloseAsync must still see it,
                // or it waits for that receive forever.
                Interlocked.Or(ref _events, events & ReceiveDone);
                Abort();
                BeginClose();
                return;
            }

            if ((events & ReceiveDone) != 0)
            {
                OnReceiveCompleted();
            }

            Run();
        }
#pragma warning disable CA1031 // A protocol bug must cost one connection, never the server.
        catch (Exception e)
#pragma warning restore CA1031
        {
            _driver.Fail(e);
            Abort();
            BeginClose();
        }
    }

    private void Run()
    {
        while (!_closing)
        {
            if (Volatile.Read(ref _disposed) != 0)
            {
                BeginClose();
                return;
            }

            if (_readable || _busy)
            {
                if (!TryReceive())
                {
                    return;
                }
            }

            var close = Process();
            if (!_sending && _buffers is { OutputBuffered: > 0 } && !StartSend())
            {
                Abort();
                BeginClose();
                return;
            }

            if (close)
            {
                BeginClose();
                return;
            }

            // More input known to be there (a read that filled its buffer), or input held back
            // by a full output pipe that a synchronous send just emptied: go round again.
            if (((_readable || _busy) && CanReceive()) || (_newInput && !OutputPaused && !_paused))
            {
                continue;
            }

            ReleaseBuffersIfEmpty();
            if (_receiveState != ReceiveState.Idle || !CanReceive())
            {
                return;
            }

            // Nothing to do: wait for readability without a buffer so an idle connection holds none.
            _receiveState = ReceiveState.Waiting;
            if (_io.StartWaitForData())
            {
                return;
            }

            OnReceiveCompleted();
        }
    }

    private bool CanReceive() =>
        _receiveState == ReceiveState.Idle
        && !_paused
        && !_inputEnded
        && !_driver.Stopping
        && (_buffers is null
            || _buffers.InputBuffered < Options.InputPauseThreshold
            || (_wantsMore && _buffers.InputBuffered < InputBuffer.MaxSize));

    private bool OutputPaused => _buffers is { } buffers && buffers.OutputBuffered >= Options.OutputPauseThreshold;

    private ConnectionBuffers Buffers() => _buffers ??= _resources.Rent();

    /// <summary>Receives into the input pipe; false when the pump should stop (receive pending or closing).</summary>
    private bool TryReceive()
    {
        if (!CanReceive())
        {
            // Held back (backpressure, stopping): readability is remembered for later.
            return true;
        }

        _readable = false;

        var buffers = Buffers();
        Memory<byte> memory;
        if (buffers.InputBuffered == 0 && !_busy)
        {
            // Nothing held back: receive outside the pipe, which a session that consumes it all never touches.
            memory = buffers.DirectInput;
            buffers.ReceivingDirect = true;
        }
        else
        {
            // Held-back bytes come first in order, so they go to the pipe before anything new.
            SpillDirectInput(buffers);

            // Bulk senders get bigger reads (fewer syscalls).
            memory = buffers.Input.Writer.GetMemory(_busy ? Options.BulkReceiveBuffer : Options.MinimumReceiveBuffer);
            buffers.ReceiveSize = memory.Length;
        }

        _receiveState = ReceiveState.Receiving;
        if (_io.StartReceive(memory))
        {
            // Readiness without data (rare): the completion pumps again. Sends still go on.
            _busy = false;
            return true;
        }

        OnReceiveCompleted();
        return !_closing;
    }

    /// <summary>Takes the result of the receive (or zero-byte wait) that just completed.</summary>
    private void OnReceiveCompleted()
    {
        var state = _receiveState;
        _receiveState = ReceiveState.Idle;
        if (_io.ReceiveError != SocketError.Success)
        {
            // Reset by the peer, or aborted by us: nothing more can be sent either.
            Abort();
            BeginClose();
            return;
        }

        if (state == ReceiveState.Waiting)
        {
            _readable = true;
            return;
        }

        var count = _io.BytesReceived;
        var buffers = _buffers!;
        var direct = buffers.ReceivingDirect;
        buffers.ReceivingDirect = false;
        if (count == 0)
        {
            _inputEnded = true;
            _busy = false;
            return;
        }

        if (direct)
        {
            _busy = count == buffers.DirectInput.Length;
            buffers.DirectInputLength = count;
        }
        else
        {
            _busy = count == buffers.ReceiveSize;
            buffers.ReceiveSize = 0; // The writer's memory is committed: nothing of the pipe is held any more.
            var writer = buffers.Input.Writer;
            writer.Advance(count);
            CompleteSynchronously(writer.FlushAsync());
        }

        buffers.InputBuffered += count;
        _newInput = true;
        _wantsMore = false;
        _resources.Stats.OnReceived(count);
        _resources.Stats.ObserveBuffered(buffers.InputBuffered + buffers.OutputBuffered);
    }

    /// <summary>Runs the session on new input and drains outbound output; true when the connection should close.</summary>
    private bool Process()
    {
        // Read the close flags before draining: whatever was queued before a close request is
        // then still sent (e.g. "* bye", "* server shutting down").
        var closeFlagged = _driver.CloseFlagged;
        if (OutputPaused && !closeFlagged)
        {
            return false;
        }

        var close = closeFlagged;
        if (_paused && Interlocked.Exchange(ref _resumeDue, 0) != 0)
        {
            // The break is over: offer the held-back input again.
            _paused = false;
            _newInput = true;
        }

        // Replies may go straight to a send only while nothing older waits to be sent.
        var direct = !_sending && _buffers is not { OutputBuffered: > 0 };
        ReplyWriter? reply = null;
        if ((_newInput || _inputEnded) && !_paused)
        {
            _newInput = false;
            var buffers = Buffers();
            reply ??= BeginReply(buffers, direct);
            SessionAction action;
            if (buffers.DirectInputLength > 0)
            {
                // The pipe is empty (a direct receive happens only then): the session reads the array.
                var input = new ReadOnlySequence<byte>(buffers.DirectInput, 0, buffers.DirectInputLength);
                action = _driver.OnInput(input, _inputEnded, reply, out var consumed);
                var rest = input.Slice(consumed);
                buffers.DirectInputLength = 0;
                buffers.InputBuffered = 0;
                if (!rest.IsEmpty)
                {
                    // Kept for later (a partial line, a pause): it joins the pipe, as a pipe read's rest would stay there.
                    var writer = buffers.Input.Writer;
                    foreach (var segment in rest)
                    {
                        writer.Write(segment.Span);
                    }

                    CompleteSynchronously(writer.FlushAsync());
                    buffers.InputBuffered = rest.Length;
                }
            }
            else if (buffers.InputBuffered > 0 && buffers.Input.Reader.TryRead(out var result))
            {
                var reader = buffers.Input.Reader;
                var buffer = result.Buffer;
                action = _driver.OnInput(buffer, _inputEnded, reply, out var consumed);
                buffers.InputBuffered = buffer.Slice(consumed).Length;

                // Held back (paused), the rest counts as not examined: else TryRead would not offer it again
                // until more bytes arrive.
                reader.AdvanceTo(consumed, action == SessionAction.Pause ? consumed : buffer.End);
            }
            else
            {
                action = _inputEnded ? SessionAction.Close : SessionAction.Continue;
                if (_inputEnded)
                {
                    _driver.OnInput(ReadOnlySequence<byte>.Empty, inputEnded: true, reply, out _);
                }
            }

            _wantsMore = action == SessionAction.Continue && buffers.InputBuffered > 0;
            close |= action == SessionAction.Close;
            if (action == SessionAction.Pause)
            {
                Pause(_driver.InputPause);
            }
        }

        if (_driver.HasOutbound)
        {
            var buffers = Buffers();
            reply ??= BeginReply(buffers, direct);
            if (!_driver.DrainOutbound(reply))
            {
                close = true;
            }
        }

        if (_buffers is { } held)
        {
            long added = reply?.End() ?? 0;
            var writer = held.Output.Writer;
            var unflushed = writer.UnflushedBytes;
            if (unflushed > 0)
            {
                CompleteSynchronously(writer.FlushAsync());
                added += unflushed;
            }

            if (added > 0)
            {
                held.OutputBuffered += added;
                _resources.Stats.ObserveBuffered(held.InputBuffered + held.OutputBuffered);
            }
        }

        return close;
    }

    private static ReplyWriter BeginReply(ConnectionBuffers buffers, bool direct)
    {
        buffers.Reply.Begin(direct);
        return buffers.Reply;
    }

    /// <summary>Moves bytes received directly and not offered yet into the input pipe (before any newer bytes).</summary>
    private static void SpillDirectInput(ConnectionBuffers buffers)
    {
        if (buffers.DirectInputLength > 0)
        {
            var writer = buffers.Input.Writer;
            writer.Write(buffers.DirectInput.AsSpan(0, buffers.DirectInputLength));
            buffers.DirectInputLength = 0;
            CompleteSynchronously(writer.FlushAsync());
        }
    }

    private void Pause(TimeSpan pause)
    {
        _paused = true;
        _pauseTimer ??= TimeProvider.System.CreateTimer(static state => ((SocketConnection)state!).OnPauseOver(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _pauseTimer.Change(pause, Timeout.InfiniteTimeSpan);
    }

    private void OnPauseOver()
    {
        Volatile.Write(ref _resumeDue, 1);
        QueueWake();
    }

    /// <summary>Sends what the output pipe holds; false when the connection is gone.</summary>
    private bool StartSend()
    {
        var buffers = _buffers!;
        if (buffers.Reply.Written > 0)
        {
            // Replies written while nothing else waited: sent from where they were written. Output
            // of later rounds goes to the pipe (a send is in flight) and is sent after these.
            buffers.SendingDirect = true;
            _sending = true;
            return _io.StartSend(buffers.Reply.Pending) || OnSendCompleted();
        }

        if (!buffers.Output.Reader.TryRead(out var result))
        {
            return true;
        }

        buffers.Sending = result.Buffer;
        _sending = true;
        return _io.StartSend(buffers.Sending) || OnSendCompleted();
    }

    /// <summary>Takes the result of the send that just completed; false when the connection is gone.</summary>
    private bool OnSendCompleted()
    {
        _sending = false;
        var buffers = _buffers!;
        if (buffers.SendingDirect)
        {
            buffers.SendingDirect = false;
            var written = buffers.Reply.Written;
            buffers.Reply.Clear();
            if (_io.SendError != SocketError.Success)
            {
                return false;
            }

            buffers.OutputBuffered -= written;
            _resources.Stats.OnSent(written);
            return true;
        }

        var sent = buffers.Sending;
        buffers.Sending = default;
        if (_io.SendError != SocketError.Success)
        {
            buffers.Output.Reader.AdvanceTo(sent.Start);
            return false;
        }

        // The length first: once advanced past, the segments go back to the pipe.
        var length = sent.Length;
        buffers.Output.Reader.AdvanceTo(sent.End);
        buffers.OutputBuffered -= length;
        _resources.Stats.OnSent(length);
        return true;
    }

    private void ReleaseBuffersIfEmpty()
    {
        if (_buffers is { InputBuffered: 0, OutputBuffered: 0 } buffers && !_sending && _receiveState != ReceiveState.Receiving)
        {
            _buffers = null;
            if (buffers.ReceiveSize == 0)
            {
                _resources.ReturnEmpty(buffers);
            }
            else
            {
                // A receive took memory from the input pipe and ended without data: reset it.
                _resources.Return(buffers);
            }
        }
    }

    private void BeginClose()
    {
        if (_closing)
        {
            return;
        }

        _closeWake = new SemaphoreSlim(0);
        _closing = true;
        _ = CloseAsync();
    }

    /// <summary>
    /// The end of a connection: flush what is left and FIN, drain unread input for a bounded
    /// time (so the close is not a reset that loses our last bytes), close, release.
    /// </summary>
    private async Task CloseAsync()
    {
        try
        {
            if (Volatile.Read(ref _disposed) == 0 && await FlushOnCloseAsync().ConfigureAwait(false))
            {
                _io.ShutdownSend();
                if (!_inputEnded)
                {
                    await DrainInputAsync().ConfigureAwait(false);
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The peer is gone.
        }
#pragma warning disable CA1031 // The connection must still be released.
        catch (Exception e)
#pragma warning restore CA1031
        {
            _driver.Fail(e);
        }

        Abort();

        // The socket is closed: operations still in flight fail now; wait for them to let go.
        while (_sending)
        {
            await WaitForEventAsync(SendDone, Timeout.InfiniteTimeSpan).ConfigureAwait(false);
            OnSendCompleted();
        }

        while (_receiveState != ReceiveState.Idle)
        {
            await WaitForEventAsync(ReceiveDone, Timeout.InfiniteTimeSpan).ConfigureAwait(false);
            _receiveState = ReceiveState.Idle;
        }

        if (_drainScratch is { } scratch)
        {
            // The drain's receive has let go of it now.
            _drainScratch = null;
            ArrayPool<byte>.Shared.Return(scratch);
        }

        if (_buffers is { } buffers)
        {
            _buffers = null;
            if (Fault is null)
            {
                // After a fault the pipes may be in any state: let them go to the GC instead.
                _resources.Return(buffers);
            }
        }

        _pauseTimer?.Dispose();
        _driver.OnClosed();
        _io.Dispose();
        _resources.Owner.OnConnectionClosed(this);
    }

    /// <summary>
    /// The last output: allowed while bytes still move, aborted once nothing moved for a whole
    /// linger period. False when the connection is gone.
    /// </summary>
    private async Task<bool> FlushOnCloseAsync()
    {
        while (true)
        {
            if (_sending)
            {
                if (!await WaitForEventAsync(SendDone, _driver.LingerTimeout).ConfigureAwait(false))
                {
                    return false;
                }

                if (!OnSendCompleted())
                {
                    return false;
                }
            }

            if (_buffers is not { OutputBuffered: > 0 })
            {
                return true;
            }

            if (!StartSend())
            {
                return false;
            }

            if (!_sending && _buffers is { OutputBuffered: > 0 })
            {
                // Nothing readable although bytes are counted: never spin here.
                Debug.Fail("Output accounting is off.");
                return true;
            }
        }
    }

    /// <summary>Reads and drops input until the peer's EOF, for at most one linger period.</summary>
    private async Task DrainInputAsync()
    {
        var deadline = _driver.LingerDeadline();
        var scratch = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            while (true)
            {
                if (_receiveState == ReceiveState.Idle)
                {
                    _receiveState = ReceiveState.Receiving;
                    if (!_io.StartReceive(scratch))
                    {
                        Interlocked.Or(ref _events, ReceiveDone);
                    }
                }

                // A zero-byte wait, a receive of the pump or ours: let it finish, for a bounded time.
                if (!await WaitForEventAsync(ReceiveDone, SessionDriver.Remaining(deadline)).ConfigureAwait(false))
                {
                    // CloseAsync aborts and then waits for this receive to let go of the scratch.
                    return;
                }

                var state = _receiveState;
                _receiveState = ReceiveState.Idle;
                if (_io.ReceiveError != SocketError.Success
                    || (state == ReceiveState.Receiving && _io.BytesReceived == 0))
                {
                    return;
                }
            }
        }
        finally
        {
            if (_receiveState == ReceiveState.Idle)
            {
                ArrayPool<byte>.Shared.Return(scratch);
            }
            else
            {
                _drainScratch = scratch;
            }
        }
    }

    /// <summary>Waits (closing only) until the completion <paramref name="bit"/> arrives; false on timeout.</summary>
    private async Task<bool> WaitForEventAsync(int bit, TimeSpan timeout)
    {
        var deadline = timeout == Timeout.InfiniteTimeSpan
            ? long.MaxValue
            : Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            if ((Interlocked.And(ref _events, ~bit) & bit) != 0)
            {
                return true;
            }

            var wait = deadline == long.MaxValue ? Timeout.InfiniteTimeSpan : SessionDriver.Remaining(deadline);
            if (wait == TimeSpan.Zero)
            {
                return false;
            }

            await _closeWake!.WaitAsync(wait).ConfigureAwait(false);
        }
    }

    private static void CompleteSynchronously(ValueTask<System.IO.Pipelines.FlushResult> flush)
    {
        // The pipes have no pause threshold and no awaiting reader: a flush never waits.
        Debug.Assert(flush.IsCompleted, "A pipe flush without pause threshold completes at once.");
        flush.GetAwaiter().GetResult();
    }
}
