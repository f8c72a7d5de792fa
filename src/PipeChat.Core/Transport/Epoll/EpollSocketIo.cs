using System.Buffers;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace PipeChat.Transport.Epoll;

/// <summary>
/// Socket I/O of one connection on an <see cref="EpollLoop"/>: recv and send are called
/// directly on the non-blocking fd, and only an operation that would block is parked until
/// the loop reports readiness.
/// </summary>
/// <remarks>
/// Why not the runtime's Socket: its receive always tries the syscall first and only then
/// waits, so in request/response traffic every message costs a second recv that finds
/// nothing (measured: 2 recvfrom per echoed message). Here the edge-triggered registration
/// tells us when data arrived, and a read shorter than its buffer means the socket is
/// drained; so a zero-byte wait after a short read parks without a syscall, and the recv
/// after the event finds the data: one recv per message, as a C epoll server does.
/// Each direction is a small state machine shared with the loop thread: Idle (no event since
/// the socket was drained), Ready (an event came), Parked (an operation waits for one),
/// Closed. Whoever moves Parked away owns the completion.
/// </remarks>
[SupportedOSPlatform("linux")]
internal sealed unsafe class EpollSocketIo : SocketIo
{
    private const int Idle = 0;
    private const int Ready = 1;
    private const int Parked = 2;
    private const int Closed = 3;
    private const int MaxIovecs = 16;

    private readonly EpollLoop _loop;
    private readonly int _fd;
    private readonly LoopCounters _counters;
    private readonly int _slot;
    private int _in;
    private int _out;

    // recv/send calls in flight on the fd, and the sign bit once closed: the socket (its fd) is
    // disposed by Close when none is in flight, else by the last call to finish, so the fd
    // number cannot be reused under a call. (SafeHandle's AddRef/Release did the same, with a
    // second object to touch and a try/catch per call.)
    private int _users;

    // Set once a send had to wait: only then is EPOLLOUT added to the registration, so the
    // events of a socket that never fills its send buffer carry no write readiness to record.
    private int _writeArmed;

    // Set for good once the peer's FIN (or an error) was seen: a read can end short of it, and
    // no new edge comes for EOF, so every later wait completes at once.
    private volatile bool _hungUp;

    // The parked operations' arguments, written before parking and read by their completer.
    private bool _parkedWait;
    private Memory<byte> _receiveBuffer;
    private ReadOnlySequence<byte> _unsent;

    public EpollSocketIo(Socket socket, ISocketIoCallback callback, EpollLoop loop, LoopCounters counters, int slot)
        : base(socket, callback)
    {
        _loop = loop;
        _counters = counters;
        _slot = slot;
        socket.Blocking = false;
        _fd = (int)socket.SafeHandle.DangerousGetHandle();
        loop.Register(this, _fd);
    }

    /// <summary>Who is told of completions (for the loop's prefetch).</summary>
    public object CallbackObject => Callback;

    /// <summary>Identifies this socket's events (slot and generation in its loop).</summary>
    public ulong Token { get; set; }

    public override bool StartWaitForData()
    {
        _parkedWait = true;
        var hungUp = _hungUp;
        var state = hungUp ? Volatile.Read(ref _in) : Interlocked.CompareExchange(ref _in, Parked, Idle);
        if (state == Idle && !hungUp)
        {
            return true; // Parked.
        }

        if (state != Closed)
        {
            // Data (or EOF) came since the last read: report it now.
            Interlocked.CompareExchange(ref _in, Idle, Ready);
            ReceiveError = SocketError.Success;
        }
        else
        {
            ReceiveError = SocketError.OperationAborted;
        }

        BytesReceived = 0;
        return false;
    }

    public override bool StartReceive(Memory<byte> buffer)
    {
        // Forget earlier readiness first: this read sees everything that arrived before it,
        // and any later arrival raises a new event. (Read first: most receives follow a wait that
        // already consumed the readiness, and a CAS costs a locked instruction even when it fails.)
        if (Volatile.Read(ref _in) == Ready)
        {
            Interlocked.CompareExchange(ref _in, Idle, Ready);
        }

        return ReceiveOrPark(buffer);
    }

    public override bool StartSend(in ReadOnlySequence<byte> buffer)
    {
        if (Volatile.Read(ref _out) == Ready)
        {
            Interlocked.CompareExchange(ref _out, Idle, Ready);
        }

        return SendOrPark(buffer);
    }

    public override void Close()
    {
        // Only Close moves a direction to Closed: the receive side says whether it ran already.
        var receive = Interlocked.Exchange(ref _in, Closed);
        if (receive == Closed)
        {
            return;
        }

        var send = Interlocked.Exchange(ref _out, Closed);
        _loop.Unregister(Token);

        // The fd closes once no recv or send is in flight; the kernel then drops it from epoll.
        if (Interlocked.Or(ref _users, int.MinValue) == 0)
        {
            Socket.Dispose();
        }

        // Parked operations end now, reported off this stack (the caller may hold the connection's pump).
        if (receive == Parked)
        {
            _receiveBuffer = default;
            ReceiveError = SocketError.OperationAborted;
            BytesReceived = 0;
            ThreadPool.UnsafeQueueUserWorkItem(static c => c.OnReceiveCompleted(), Callback, preferLocal: false);
        }

        if (send == Parked)
        {
            _unsent = default;
            SendError = SocketError.OperationAborted;
            ThreadPool.UnsafeQueueUserWorkItem(static c => c.OnSendCompleted(), Callback, preferLocal: false);
        }
    }

    public override void Dispose() => Close();

    /// <summary>
    /// Ends a parked receive (or zero-byte wait) now with <see cref="SocketError.OperationAborted"/>,
    /// the socket staying open; reported off this stack. False when none was parked.
    /// </summary>
    public bool TryCancelReceive()
    {
        if (Interlocked.CompareExchange(ref _in, Idle, Parked) != Parked)
        {
            return false;
        }

        _receiveBuffer = default;
        ReceiveError = SocketError.OperationAborted;
        BytesReceived = 0;
        ThreadPool.UnsafeQueueUserWorkItem(static c => c.OnReceiveCompleted(), Callback, preferLocal: false);
        return true;
    }

    /// <summary>Whether a recv would not block now (data, EOF or an error waits): a peek of one byte, nothing consumed.</summary>
    public bool ReadableNow()
    {
        if (_hungUp || !TryHold())
        {
            return true; // The next read reports it.
        }

        try
        {
            byte one;
            var result = (long)recv(_fd, &one, 1, MSG_PEEK | MSG_DONTWAIT);
            return result >= 0 || Marshal.GetLastPInvokeError() != EAGAIN;
        }
        finally
        {
            Release();
        }
    }

    /// <summary>Readiness from the loop thread: completes what was parked, else remembers it.</summary>
    public void OnEvents(int events)
    {
        _counters.OnEvent(_slot);

        // Errors and hang-ups wake both directions: the next recv or send reports them.
        if ((events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0)
        {
            _hungUp = true;
        }

        if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0 && Signal(ref _in))
        {
            if (_parkedWait)
            {
                ReceiveError = SocketError.Success;
                BytesReceived = 0;
                Callback.OnReceiveCompleted();
            }
            else
            {
                var buffer = _receiveBuffer;
                _receiveBuffer = default;
                if (!ReceiveOrPark(buffer))
                {
                    Callback.OnReceiveCompleted();
                }
            }
        }

        if ((events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) != 0 && Signal(ref _out))
        {
            var unsent = _unsent;
            _unsent = default;
            if (!SendOrPark(unsent))
            {
                Callback.OnSendCompleted();
            }
        }
    }

    /// <summary>
    /// An exception escaped an event on the loop thread (a bug: the pump catches its own): this
    /// connection cannot go on, the loop and every other connection do.
    /// </summary>
    public void Fail(Exception e)
    {
        System.Diagnostics.Debug.Fail("Epoll event handling threw.", e.ToString());
        Close();
    }

    // Tmds.LibC's errno values are per architecture (static, not const): no switch.
    internal static SocketError ToSocketError(int errno) =>
        errno == ECONNRESET ? SocketError.ConnectionReset
        : errno == EPIPE ? SocketError.Shutdown
        : errno == ETIMEDOUT ? SocketError.TimedOut
        : errno == ENOTCONN ? SocketError.NotConnected
        : errno == ECONNABORTED ? SocketError.ConnectionAborted
        : errno == EBADF ? SocketError.OperationAborted
        : errno == ENOBUFS || errno == ENOMEM ? SocketError.NoBufferSpaceAvailable
        : SocketError.SocketError;

    /// <summary>Records readiness; true when an operation was parked and the caller now owns it.</summary>
    private static bool Signal(ref int state)
    {
        while (true)
        {
            var current = Volatile.Read(ref state);
            switch (current)
            {
                case Parked:
                    if (Interlocked.CompareExchange(ref state, Idle, Parked) == Parked)
                    {
                        return true;
                    }

                    break;
                case Idle:
                    if (Interlocked.CompareExchange(ref state, Ready, Idle) == Idle)
                    {
                        return false;
                    }

                    break;
                default:
                    return false; // Ready already, or Closed.
            }
        }
    }

    /// <summary>
    /// After EAGAIN: parks (true) unless readiness came meanwhile (false: try again) or the
    /// socket closed (false, with <paramref name="closed"/> set).
    /// </summary>
    private static bool Park(ref int state, out bool closed)
    {
        var previous = Interlocked.CompareExchange(ref state, Parked, Idle);
        closed = previous == Closed;
        if (previous == Ready)
        {
            Interlocked.CompareExchange(ref state, Idle, Ready);
        }

        return previous == Idle;
    }

    /// <summary>Receives into <paramref name="buffer"/>, or parks it; false when the result is set.</summary>
    private bool ReceiveOrPark(Memory<byte> buffer)
    {
        _parkedWait = false;
        while (true)
        {
            var received = Receive(buffer.Span, out var errno);
            if (received >= 0)
            {
                ReceiveError = SocketError.Success;
                BytesReceived = received;
                return false;
            }

            if (errno == EINTR)
            {
                continue;
            }

            if (errno != EAGAIN)
            {
                ReceiveError = ToSocketError(errno);
                BytesReceived = 0;
                return false;
            }

            _receiveBuffer = buffer;
            if (Park(ref _in, out var closed))
            {
                return true;
            }

            _receiveBuffer = default;
            if (closed)
            {
                ReceiveError = SocketError.OperationAborted;
                BytesReceived = 0;
                return false;
            }
        }
    }

    /// <summary>Sends all of <paramref name="buffer"/>, parking what would block; false when the result is set.</summary>
    private bool SendOrPark(ReadOnlySequence<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            var sent = Send(buffer, out var errno);
            if (sent >= 0)
            {
                buffer = buffer.Slice(sent);
                continue;
            }

            if (errno == EINTR)
            {
                continue;
            }

            if (errno != EAGAIN)
            {
                SendError = ToSocketError(errno);
                return false;
            }

            _unsent = buffer;
            if (Volatile.Read(ref _writeArmed) == 0)
            {
                ArmWrite();
            }

            if (Park(ref _out, out var closed))
            {
                return true;
            }

            _unsent = default;
            if (closed)
            {
                SendError = SocketError.OperationAborted;
                return false;
            }
        }

        SendError = SocketError.Success;
        return false;
    }

    /// <summary>recv on the fd; -1 with <paramref name="errno"/> set on failure (EBADF once closed).</summary>
    private int Receive(Span<byte> buffer, out int errno)
    {
        if (!TryHold())
        {
            errno = EBADF;
            return -1;
        }

        try
        {
            fixed (byte* pointer = buffer)
            {
                var result = (long)recv(_fd, pointer, buffer.Length, 0);
                errno = result < 0 ? Marshal.GetLastPInvokeError() : 0;
                return (int)result;
            }
        }
        finally
        {
            Release();
        }
    }

    /// <summary>send (one segment) or sendmsg (a gather of up to 16), never raising SIGPIPE.</summary>
    private int Send(in ReadOnlySequence<byte> buffer, out int errno)
    {
        if (!TryHold())
        {
            errno = EBADF;
            return -1;
        }

        try
        {
            long result;
            if (buffer.IsSingleSegment)
            {
                var span = buffer.FirstSpan;
                fixed (byte* pointer = span)
                {
                    result = send(_fd, pointer, span.Length, MSG_NOSIGNAL);
                }
            }
            else
            {
                result = SendGather(buffer);
            }

            errno = result < 0 ? Marshal.GetLastPInvokeError() : 0;
            return (int)result;
        }
        finally
        {
            Release();
        }
    }

    /// <summary>Counts a call in flight on the fd; false once the socket is closed. Pair with <see cref="Release"/>.</summary>
    private bool TryHold()
    {
        while (true)
        {
            var users = Volatile.Read(ref _users);
            if (users < 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _users, users + 1, users) == users)
            {
                return true;
            }
        }
    }

    /// <summary>Ends a call; the last one after Close disposes the socket.</summary>
    private void Release()
    {
        if (Interlocked.Decrement(ref _users) == int.MinValue)
        {
            Socket.Dispose();
        }
    }

    /// <summary>
    /// Adds EPOLLOUT to the registration (once, before the first parked send). The change
    /// re-polls the socket, so a write readiness that came before it is reported, not lost.
    /// </summary>
    private void ArmWrite()
    {
        if (Interlocked.Exchange(ref _writeArmed, 1) == 0 && TryHold())
        {
            try
            {
                _loop.WatchWrites(_fd, Token);
            }
            finally
            {
                Release();
            }
        }
    }

    private long SendGather(in ReadOnlySequence<byte> buffer)
    {
        var pins = default(Pins);
        var vectors = stackalloc iovec[MaxIovecs];
        var count = 0;
        try
        {
            foreach (var segment in buffer)
            {
                if (segment.IsEmpty)
                {
                    continue;
                }

                if (count == MaxIovecs)
                {
                    break; // The rest goes in the next call.
                }

                pins[count] = segment.Pin();
                vectors[count].iov_base = pins[count].Pointer;
                vectors[count].iov_len = segment.Length;
                count++;
            }

            var header = default(msghdr);
            header.msg_iov = vectors;
            header.msg_iovlen = count;
            return sendmsg(_fd, &header, MSG_NOSIGNAL);
        }
        finally
        {
            for (var i = 0; i < count; i++)
            {
                pins[i].Dispose();
            }
        }
    }

    [InlineArray(MaxIovecs)]
    private struct Pins
    {
        private MemoryHandle _element;
    }

    /// <summary>Spreads the sockets of one server over its epoll loops, round robin in accept order.</summary>
    public sealed class Factory : ISocketIoFactory
    {
        private readonly EpollLoop[] _loops;
        private int _next = -1;

        public Factory(int loops)
        {
            _loops = EpollLoop.Group(loops);
            Counters = new LoopCounters(loops);
        }

        /// <summary>Connections and events each of this server's loops has served.</summary>
        public LoopCounters Counters { get; }

        public SocketIo Create(Socket socket, ISocketIoCallback callback)
        {
            var slot = (int)((uint)Interlocked.Increment(ref _next) % (uint)_loops.Length);
            Counters.OnConnection(slot);
            return new EpollSocketIo(socket, callback, _loops[slot], Counters, slot);
        }
    }
}
