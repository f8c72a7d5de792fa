using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using PipeChat.Diagnostics;
using PipeChat.Models;
using PipeChat.Protocols;

namespace PipeChat.Transport;

/// <summary>
/// One accepted socket on the async transport: a receive loop fills the input pipe, the
/// protocol session turns input into output, a send loop drains the output pipe. Pipe
/// thresholds give backpressure end to end: a client that never reads stalls the send loop,
/// the output pipe fills, the session's flush waits, the input pipe fills, and the receive
/// loop stops reading until the client drains.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Disposed at the end of RunAsync, which owns the lifetime.")]
internal sealed class SocketConnection : IConnectionOutput, IThreadPoolWorkItem, IDrainable
{
    private readonly Socket _socket;
    private readonly IStreamSession _session;
    private readonly IOutboundSource? _outbound;
    private readonly ServerStats _stats;
    private readonly TransportOptions _options;
    private readonly Pipe _input;
    private readonly Pipe _output;
    private readonly SocketReceiver _receiver;
    private readonly SocketSender _sender;
    private long _received;
    private long _sent;
    private int _closeRequested;
    private int _stopping;
    private int _wakeQueued;
    private int _abortRequested;
    private int _disposed;

    public SocketConnection(Socket socket, IStreamProtocol protocol, ServerStats stats, TransportOptions options)
    {
        _socket = socket;
        _stats = stats;
        _options = options;

        // Inline schedulers: socket completions already arrive on thread-pool threads, so the
        // receive → session → send chain runs on that thread without further hops.
        _input = new Pipe(new PipeOptions(
            readerScheduler: PipeScheduler.Inline,
            writerScheduler: PipeScheduler.Inline,
            pauseWriterThreshold: options.InputPauseThreshold,
            resumeWriterThreshold: options.InputPauseThreshold / 2,
            minimumSegmentSize: options.MinimumReceiveBuffer,
            useSynchronizationContext: false));
        _output = new Pipe(new PipeOptions(
            readerScheduler: PipeScheduler.Inline,
            writerScheduler: PipeScheduler.Inline,
            pauseWriterThreshold: options.OutputPauseThreshold,
            resumeWriterThreshold: options.OutputPauseThreshold / 2,
            useSynchronizationContext: false));
        _receiver = new SocketReceiver(PipeScheduler.Inline);
        _sender = new SocketSender(PipeScheduler.Inline);
        _session = protocol.CreateSession(this);
        _outbound = _session as IOutboundSource;
    }

    /// <summary>An unexpected exception from the protocol session, if one ended the connection.</summary>
    public Exception? Fault { get; private set; }

    /// <summary>Runs the connection to its end; never throws.</summary>
    public async Task RunAsync()
    {
        var receiving = ReceiveLoopAsync();
        var sending = SendLoopAsync();
        await ApplicationLoopAsync().ConfigureAwait(false);

        // The last flush may wait on a peer that stopped reading: allow it while bytes still
        // move, abort once nothing moved for a whole linger period.
        while (!sending.IsCompleted)
        {
            var before = Volatile.Read(ref _sent);
            await Task.WhenAny(sending, Task.Delay(_options.LingerTimeout)).ConfigureAwait(false);
            if (!sending.IsCompleted && Volatile.Read(ref _sent) == before)
            {
                Abort();
            }
        }

        await sending.ConfigureAwait(false);

        // Output is flushed and our side shut down; give the peer a bounded moment to finish
        // so that closing with unread input does not turn into a reset that loses our last bytes.
        if (!receiving.IsCompleted)
        {
            await Task.WhenAny(receiving, Task.Delay(_options.LingerTimeout)).ConfigureAwait(false);
        }

        Abort();
        await receiving.ConfigureAwait(false);
        _session.OnClosed();
        _receiver.Dispose();
        _sender.Dispose();
    }

    /// <summary>
    /// Graceful stop: take no more input; what was already read is answered and flushed, then
    /// our side closes. Not shutdown(SHUT_RD): that would make a real EOF from the peer
    /// indistinguishable, and closing on unread input resets the connection.
    /// </summary>
    public void StopReceiving()
    {
        Volatile.Write(ref _stopping, 1);
        _input.Reader.CancelPendingRead();
    }

    /// <summary>Hard stop: the socket is closed now and pending operations fail.</summary>
    public void Abort()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _socket.Dispose();
        }
    }

    // Signal, RequestClose and the sink's Abort come from other connections' threads (a chat
    // publisher, often inside the hub's locks). Waking this connection's loop there would run it
    // inline on that thread (the pipes use inline schedulers), so the wake-up is queued instead,
    // once per burst: no allocation (this is the work item), no re-entrancy into the hub.
    public void Signal() => QueueWake();

    public void RequestClose()
    {
        Volatile.Write(ref _closeRequested, 1);
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
            return;
        }

        _input.Reader.CancelPendingRead();
        if (Volatile.Read(ref _closeRequested) != 0)
        {
            // The session loop may be waiting for room in the output pipe: wake it to see the request.
            _output.Writer.CancelPendingFlush();
        }
    }

    private void QueueWake()
    {
        if (Interlocked.Exchange(ref _wakeQueued, 1) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    private async Task ReceiveLoopAsync()
    {
        Exception? error = null;
        var writer = _input.Writer;
        try
        {
            var busy = false;
            while (true)
            {
                // Wait for readability without a buffer so idle connections hold none. A read
                // that filled its buffer means more is probably queued: skip the wait then.
                if (!busy)
                {
                    await _receiver.WaitForDataAsync(_socket);
                }

                // Bulk senders get bigger reads (fewer syscalls); everyone else small buffers.
                var memory = writer.GetMemory(busy ? _options.BulkReceiveBuffer : _options.MinimumReceiveBuffer);
                var count = await _receiver.ReceiveAsync(_socket, memory);
                if (count == 0)
                {
                    break;
                }

                busy = count == memory.Length;

                writer.Advance(count);
                _received += count;
                _stats.OnReceived(count);
                _stats.ObserveBuffered(_received - Volatile.Read(ref _sent));

                var flush = await writer.FlushAsync().ConfigureAwait(false);
                if (flush.IsCompleted)
                {
                    // The session is done; keep reading (and dropping) so the close stays clean.
                    await DiscardInputAsync().ConfigureAwait(false);
                    break;
                }
            }
        }
        catch (Exception e) when (IsConnectionGone(e))
        {
            error = e;
        }
#pragma warning disable CA1031 // Any failure must still complete the pipe, or the other loops wait forever.
        catch (Exception e)
#pragma warning restore CA1031
        {
            error = e;
            Fault ??= e;
            Abort();
        }

        await writer.CompleteAsync(error).ConfigureAwait(false);
    }

    private async Task DiscardInputAsync()
    {
        var scratch = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            while (await _receiver.ReceiveAsync(_socket, scratch) > 0)
            {
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    private async Task SendLoopAsync()
    {
        var reader = _output.Reader;
        Exception? error = null;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                if (!buffer.IsEmpty)
                {
                    await _sender.SendAsync(_socket, buffer);
                    var length = buffer.Length;
                    Volatile.Write(ref _sent, _sent + length);
                    _stats.OnSent(length);
                }

                reader.AdvanceTo(buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                {
                    break;
                }
            }

            // Everything is sent: FIN to the peer.
            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (IsConnectionGone(e))
        {
            error = e;

            // The peer is gone; stop the receive side too.
            Abort();
        }
#pragma warning disable CA1031 // Any failure must still complete the pipe, or the other loops wait forever.
        catch (Exception e)
#pragma warning restore CA1031
        {
            error = e;
            Fault ??= e;
            Abort();
        }

        await reader.CompleteAsync(error).ConfigureAwait(false);
    }

    private async Task ApplicationLoopAsync()
    {
        var reader = _input.Reader;
        var writer = _output.Writer;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                var action = SessionAction.Continue;

                if (!buffer.IsEmpty || result.IsCompleted)
                {
                    action = _session.OnInput(buffer, result.IsCompleted, writer, out var consumed);
                    reader.AdvanceTo(consumed, buffer.End);
                }
                else
                {
                    reader.AdvanceTo(buffer.Start);
                }

                // Read the close flags before draining: whatever was queued before a close
                // request is then still sent (e.g. "* bye", "* server shutting down").
                if (Volatile.Read(ref _closeRequested) != 0 || Volatile.Read(ref _stopping) != 0)
                {
                    action = SessionAction.Close;
                }

                if (_outbound is not null && !_outbound.DrainTo(writer))
                {
                    action = SessionAction.Close;
                }

                var flush = await writer.FlushAsync().ConfigureAwait(false);
                if (action == SessionAction.Close || result.IsCompleted || flush.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (Exception e) when (IsConnectionGone(e))
        {
            // Reset or aborted: the send loop ends below.
        }
#pragma warning disable CA1031 // A protocol bug must cost one connection, never the server.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Fault ??= e;
            Abort();
        }

        await reader.CompleteAsync().ConfigureAwait(false);
        await writer.CompleteAsync().ConfigureAwait(false);
    }

    private static bool IsConnectionGone(Exception e) =>
        e is SocketException or ObjectDisposedException or IOException or OperationCanceledException;
}
