using System.Buffers;
using System.Net.Sockets;
using PipeChat.Connections;
using PipeChat.Diagnostics;
using PipeChat.Protocols;

namespace PipeChat.Servers;

/// <summary>
/// One connection served with blocking socket calls on the calling thread (threads and
/// iterative models). Same session contract as the async transport: only the byte moving differs.
/// Sessions with output of their own (chat) get a second, writer thread so a broadcast never
/// waits for this connection's reads.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Disposed at the end of Run, which owns the lifetime.")]
internal sealed class BlockingConnection : IConnectionOutput, IDrainable, Protocols.IWakeable
{
    private readonly IBlockingChannel _channel;
    private readonly IStreamProtocol _protocol;
    private SessionDriver? _driver;
    private readonly ServerStats _stats;
    private readonly ServerSettings _settings;
    private readonly Lock _sendLock = new();
    private readonly ArrayBufferWriter<byte> _replies = new(4096);
    // The writer's wake-up. Not SemaphoreSlim: its Wait spins (sched_yield, Sleep(0)) before it
    // blocks, and with a thousand writer threads woken by one broadcast, that spinning took most of
    // both cores and starved the one thread the broadcast storm was waiting for (the accept thread
    // running the joins). A spin count of zero makes Wait block at once.
    private readonly ManualResetEventSlim _signal = new(false, spinCount: 0);
    // A blocked receive wakes this often to see whether the server is stopping.
    private static readonly TimeSpan StopCheckInterval = SocketChannel.StopCheckInterval;

    private volatile bool _finished;
    private int _disposed;
    private long _sent;
    private int _signalled;
    private int _stopRequested;

    public BlockingConnection(Socket socket, IStreamProtocol protocol, ServerStats stats, ServerSettings settings)
    {
        _stats = stats;
        _settings = settings;
        _protocol = protocol;
        if (settings.Layers.IsEmpty)
        {
            _channel = new SocketChannel(socket);
            _driver = new SessionDriver(protocol, this, settings.LingerTimeout);
        }
        else
        {
            // Through connection layers (TLS) the session starts once they are open (the handshake
            // done): a client that never completes it never joins a room.
            _channel = new LayeredChannel(socket, settings.Layers, () => _driver?.CloseFlagged == true);
        }
    }

    public Exception? Fault => _driver?.Fault;

    private SessionDriver Driver => _driver!;

    // One wake-up per burst: a broadcast storm (e.g. 1000 join notices) must not cost the
    // writer thread one context switch per line; it drains everything queued when it wakes.
    // Inside a batch of session calls on a connection or accept thread the wake-up itself waits
    // for the end of the batch (DeferredWakes).
    public void Signal()
    {
        if (Interlocked.Exchange(ref _signalled, 1) == 0)
        {
            if (DeferredWakes.Active)
            {
                DeferredWakes.Add(this);
            }
            else
            {
                _signal.Set();
            }
        }
    }

    /// <summary>The deferred half of <see cref="Signal"/>.</summary>
    public void Wake() => _signal.Set();

    public void RequestClose()
    {
        Driver.RequestClose();
        _signal.Set();
    }

    /// <summary>
    /// Graceful stop: the read loop notices within <see cref="StopCheckInterval"/> (its receive
    /// timeout), answers what it already read and closes. Not shutdown(SHUT_RD), which would
    /// hide the peer's real EOF and turn the close into a reset.
    /// </summary>
    public void StopReceiving()
    {
        Volatile.Write(ref _stopRequested, 1);
        _driver?.StopReceiving();
        _channel.Stop();
    }

    public void Abort()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _channel.Abort();
        }
    }

    /// <summary>Serves the connection to its end on the calling thread; never throws.</summary>
    public void Run()
    {
        Thread? writer = null;
        var buffer = ArrayPool<byte>.Shared.Rent(_settings.BlockingBufferSize);
        try
        {
            if (!_channel.Open())
            {
                return;
            }

            if (_driver is null)
            {
                DeferredWakes.Begin();
                try
                {
                    _driver = new SessionDriver(_protocol, this, _settings.LingerTimeout);
                }
                finally
                {
                    DeferredWakes.End();
                }

                if (Volatile.Read(ref _stopRequested) != 0)
                {
                    _driver.StopReceiving();
                }
            }

            if (_driver.HasOutbound)
            {
                writer = new Thread(WriterLoop, 256 * 1024) { IsBackground = true, Name = "pipechat-writer" };
                writer.Start();
            }

            ReadLoop(ref buffer);
            _finished = true;
            _signal.Set();
            if (writer is not null)
            {
                JoinWhileSending(writer);
            }

            _channel.ShutdownSend();
            Linger(buffer);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
        {
            // Reset or aborted.
        }
        catch (OutOfMemoryException)
        {
            // No writer thread could be created (out of descriptors or memory): this connection
            // cannot be served; close it, the server goes on.
            writer = null;
        }
#pragma warning disable CA1031 // A protocol bug must cost one connection, never the server.
        catch (Exception e)
#pragma warning restore CA1031
        {
            _driver?.Fail(e);
        }
        finally
        {
            _finished = true;
            _signal.Set();
            Abort();
            writer?.Join();
            _channel.Dispose();
            ArrayPool<byte>.Shared.Return(buffer);
            DeferredWakes.Begin();
            try
            {
                _driver?.OnClosed();
            }
            finally
            {
                DeferredWakes.End();
            }
        }
    }

    private void ReadLoop(ref byte[] buffer)
    {
        var buffered = 0;
        var ended = false;
        var pause = TimeSpan.Zero;
        while (true)
        {
            if (pause > TimeSpan.Zero)
            {
                // The session asked for a break (rate limit): read nothing meanwhile, so the unread
                // input stays in the kernel and TCP backpressure reaches the sender.
                if (!SleepUnlessStopped(pause))
                {
                    return;
                }

                pause = TimeSpan.Zero;
            }
            else
            {
                if (buffered == buffer.Length)
                {
                    // The session kept everything (an unfinished frame): grow, within a bound.
                    if (!InputBuffer.TryGrow(ref buffer, buffered))
                    {
                        return;
                    }
                }

                if (Driver.CloseFlagged)
                {
                    return;
                }

                var count = _channel.Receive(buffer, buffered, buffer.Length - buffered);
                if (count < 0)
                {
                    continue; // Periodic wake-up: check the stop flags.
                }

                ended = count == 0;
                buffered += count;
                _stats.OnReceived(count);
                _stats.ObserveBuffered(buffered);
            }

            SessionAction action;
            DeferredWakes.Begin();
            try
            {
                action = Driver.OnInput(buffer, ref buffered, ended, _replies);
            }
            finally
            {
                DeferredWakes.End();
            }

            if (_replies.WrittenCount > 0)
            {
                lock (_sendLock)
                {
                    SendAll(_replies.WrittenSpan);
                }

                _replies.ResetWrittenCount();
            }

            if (action == SessionAction.Pause)
            {
                pause = Driver.InputPause;
            }
            else if (action == SessionAction.Close)
            {
                return;
            }

            if (Driver.CloseRequested)
            {
                return;
            }
        }
    }

    /// <summary>Sleeps <paramref name="pause"/>, waking every <see cref="StopCheckInterval"/> for the stop flags; false once stopping.</summary>
    private bool SleepUnlessStopped(TimeSpan pause)
    {
        var deadline = Environment.TickCount64 + (long)Math.Ceiling(pause.TotalMilliseconds);
        while (true)
        {
            if (Driver.CloseFlagged)
            {
                return false;
            }

            var left = deadline - Environment.TickCount64;
            if (left <= 0)
            {
                return true;
            }

            Thread.Sleep((int)Math.Min(left, (long)StopCheckInterval.TotalMilliseconds));
        }
    }

    /// <summary>
    /// Waits for the writer's last flush while bytes still move; a peer that stopped reading
    /// would block it forever, so abort once nothing moved for a whole linger period.
    /// </summary>
    private void JoinWhileSending(Thread writer)
    {
        while (true)
        {
            var before = Interlocked.Read(ref _sent);
            if (writer.Join(Driver.LingerTimeout))
            {
                return;
            }

            if (!SessionDriver.StillMoving(before, Interlocked.Read(ref _sent)))
            {
                Abort();
                writer.Join();
                return;
            }
        }
    }

    private void WriterLoop()
    {
        var pending = new ArrayBufferWriter<byte>(4096);
        try
        {
            while (true)
            {
                _signal.Wait();

                // Reset, then re-arm Signal, then drain (the drain is the last step): anything
                // queued after the drain has started sets the event again, so nothing is missed.
                _signal.Reset();
                Interlocked.Exchange(ref _signalled, 0);

                // The driver reads the close flag before draining: what was queued before a close request still goes out.
                var finished = _finished;
                var keepOpen = Driver.DrainOutbound(pending);
                if (pending.WrittenCount > 0)
                {
                    lock (_sendLock)
                    {
                        SendAll(pending.WrittenSpan);
                    }

                    pending.ResetWrittenCount();
                }

                if (!keepOpen)
                {
                    Driver.RequestClose();
                    return;
                }

                if (finished)
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            Abort();
        }
#pragma warning disable CA1031 // A protocol bug on the writer thread must cost one connection, never the process.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Driver.Fail(e);
            Abort();
        }
    }

    private void SendAll(ReadOnlySpan<byte> data)
    {
        _channel.Send(data);
        _stats.OnSent(data.Length);
        Interlocked.Add(ref _sent, data.Length);
    }

    private void Linger(byte[] scratch)
    {
        // Drain unread input for a bounded time so our close is a FIN, not a reset that could
        // destroy the last bytes we sent.
        var deadline = Driver.LingerDeadline();
        while (SessionDriver.Remaining(deadline) > TimeSpan.Zero)
        {
            if (_channel.DrainReceive(scratch, StopCheckInterval) == 0)
            {
                return;
            }
        }
    }
}
