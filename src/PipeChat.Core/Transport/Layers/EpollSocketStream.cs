using System.Buffers;
using System.Net.Sockets;
using System.Runtime.Versioning;
using System.Threading.Tasks.Sources;
using PipeChat.Transport.Epoll;

namespace PipeChat.Transport;

/// <summary>Told by an <see cref="EpollSocketStream"/> that its socket became readable while the connection was parked idle.</summary>
internal interface IIdleWaiter
{
    void OnReadable();
}

/// <summary>
/// A connected stream socket as a <see cref="Stream"/> on our epoll I/O (<see cref="EpollSocketIo"/>):
/// reads and writes are non-blocking recv/send, and one that would block waits for readiness
/// through the epoll loop, completing a <see cref="ValueTask"/> whose source is this object
/// (reused, no allocation per operation). No <see cref="SocketAsyncEventArgs"/> is ever made.
/// Besides reads, a connection can park idle (<see cref="TryParkIdle"/>): a zero-byte wait on the
/// epoll registration, with no read of the layer above pending, so an idle connection holds no
/// async state at all; the waiter is called once the socket is readable.
/// </summary>
/// <remarks>
/// To tell when parking is safe, the stream follows the TLS record framing of the bytes it hands
/// up (5-byte headers: type, version, length). Every time the layer above reads from it, the layer
/// holds no complete record (SslStream reads only to complete a frame), so records completed since
/// that read are the only ones it may hold. When a read of the layer returned data and at most one
/// record completed since, that record gave the data and nothing is left; with two or more the
/// layer may hold a record processed after the data (in TLS 1.3 a close_notify looks like data
/// from outside), see <see cref="MayHoldRecords"/>. Bytes that do not frame as TLS records switch
/// parking off for the connection. Sync reads and writes are not supported: the socket is non-blocking.
/// </remarks>
[SupportedOSPlatform("linux")]
internal sealed class EpollSocketStream : SocketStream, ISocketIoCallback, IValueTaskSource<int>, IValueTaskSource
{
    private const int None = 0;
    private const int IdleWait = 1;
    private const int Receive = 2;
    private const int ZeroByteWait = 3;

    private readonly EpollSocketIo _io;
    private ManualResetValueTaskSourceCore<int> _read = new() { RunContinuationsAsynchronously = true };
    private ManualResetValueTaskSourceCore<bool> _write = new() { RunContinuationsAsynchronously = true };
    private IIdleWaiter? _waiter;
    private int _receiveMode;
    private Memory<byte> _receiving;
    private int _sending;
    private CancellationToken _readToken;
    private CancellationTokenRegistration _readCancel;

    // The last recv read less than asked (or would block): the socket is empty until the next edge.
    private bool _drained;
    private volatile bool _stopped;
    private volatile bool _closed;
    private bool _draining;
    private bool _probing;

    // TLS record framing of the bytes handed up.
    private int _recordLeft;
    private int _headerSeen;
    private int _recordLength;
    private int _recordsSince;
    private bool _framingLost;

    public EpollSocketStream(Socket socket, EpollSocketIo.Factory io)
        : base(socket)
    {
        _io = (EpollSocketIo)io.Create(socket, this);
    }

    /// <summary>Whether the connection is parked idle now (a waiter registered, no read pending).</summary>
    public bool ParkedIdle => Volatile.Read(ref _receiveMode) == IdleWait;

    /// <summary>Whether more than one record completed since the layer above last read (or the bytes do not frame as TLS).</summary>
    public bool MayHoldRecords => _recordsSince > 1 || _framingLost;

    /// <summary>
    /// Parks the connection until the socket is readable: true when parked (<paramref name="waiter"/>
    /// is called once, from the epoll loop, also when <see cref="StopReads"/> or
    /// <see cref="CloseSocket"/> ends the wait); false when data (or EOF) may be waiting already,
    /// or reads were stopped: read instead.
    /// </summary>
    public bool TryParkIdle(IIdleWaiter waiter)
    {
        if (_stopped || _closed)
        {
            return false;
        }

        if (!_drained)
        {
            if (_io.ReadableNow())
            {
                return false;
            }

            _drained = true;
        }

        _waiter = waiter;
        for (var attempt = 0; ; attempt++)
        {
            _receiveMode = IdleWait;
            if (_io.StartWaitForData())
            {
                break;
            }

            // Readiness was recorded since the last recv. It can be stale (the event of data that
            // recv already took came late): look once, and park if the socket is empty after all.
            _receiveMode = None;
            if (attempt > 0 || _io.ReadableNow())
            {
                _drained = false;
                return false;
            }
        }

        if (_stopped)
        {
            _io.TryCancelReceive(); // A stop raced the park: the waiter is called now.
        }

        return true;
    }

    /// <summary>
    /// Reads from now on end with <see cref="ReceiveStoppedException"/> (a parked one at once), and
    /// an idle park ends (its waiter is called); writes go on. <see cref="DrainAsync"/> still reads.
    /// </summary>
    public void StopReads()
    {
        _stopped = true;
        _io.TryCancelReceive();
    }

    /// <summary>Reads what the peer still sends after a close, regardless of <see cref="StopReads"/>; 0 at EOF.</summary>
    public override ValueTask<int> DrainAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        _draining = true;
        return ReadAsync(buffer, cancellationToken);
    }

    /// <summary>
    /// A zero-byte read of <paramref name="layer"/> that does not wait: completes when the layer holds
    /// input or the socket is readable, throws <see cref="ReadWouldWaitException"/> when the layer
    /// asked this stream for data and the socket had none (the layer then holds nothing complete).
    /// </summary>
    public async ValueTask ProbeAsync(Stream layer)
    {
        _probing = true;
        try
        {
            await layer.ReadAsync(Memory<byte>.Empty).ConfigureAwait(false);
        }
        finally
        {
            _probing = false;
        }
    }

    public override void CloseSocket()
    {
        _closed = true;
        _io.Close();
    }

    public override int Read(Span<byte> buffer) => throw new NotSupportedException("the socket is non-blocking: read asynchronously");

    public override void Write(ReadOnlySpan<byte> buffer) => throw new NotSupportedException("the socket is non-blocking: write asynchronously");

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_stopped && !_draining)
        {
            return ValueTask.FromException<int>(new ReceiveStoppedException());
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<int>(cancellationToken);
        }

        // The layer above holds no complete record when it reads.
        _recordsSince = 0;
        if (_probing)
        {
            // The layer above asks for data: it holds nothing it could return.
            _probing = false;
            if (buffer.IsEmpty && !_io.ReadableNow())
            {
                _drained = true;
                return ValueTask.FromException<int>(new ReadWouldWaitException());
            }
        }

        if (buffer.IsEmpty && !_drained)
        {
            return new ValueTask<int>(0);
        }

        _read.Reset();

        // A cancellable read (the handshake's deadline, the close's linger) can be ended by its
        // token once parked; registered first, and looked at again after parking.
        if (cancellationToken.CanBeCanceled)
        {
            _readToken = cancellationToken;
            _readCancel = cancellationToken.UnsafeRegister(static s => ((EpollSocketStream)s!)._io.TryCancelReceive(), this);
        }

        bool parked;
        if (buffer.IsEmpty)
        {
            _receiveMode = ZeroByteWait;
            parked = _io.StartWaitForData();
        }
        else
        {
            _receiving = buffer;
            _receiveMode = Receive;
            parked = _io.StartReceive(buffer);
        }

        if (!parked)
        {
            _receiveMode = None;
            _receiving = default;
            if (cancellationToken.CanBeCanceled)
            {
                _readToken = default;
                ForgetCancel();
            }

            if (_io.ReceiveError != SocketError.Success)
            {
                return ValueTask.FromException<int>(ReadError(_io.ReceiveError));
            }

            if (buffer.IsEmpty)
            {
                _drained = false;
                return new ValueTask<int>(0);
            }

            var count = _io.BytesReceived;
            OnReceived(buffer.Span[..count], buffer.Length);
            return new ValueTask<int>(count);
        }

        if ((_stopped && !_draining) || cancellationToken.IsCancellationRequested)
        {
            _io.TryCancelReceive();
        }

        return new ValueTask<int>(this, _read.Version);
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return default;
        }

        _write.Reset();
        _sending = buffer.Length;
        if (_io.StartSend(new ReadOnlySequence<byte>(buffer)))
        {
            return new ValueTask(this, _write.Version);
        }

        if (_io.SendError != SocketError.Success)
        {
            return ValueTask.FromException(new IOException("send failed", new SocketException((int)_io.SendError)));
        }

        CountSent(buffer.Length);
        return default;
    }

    void ISocketIoCallback.OnReceiveCompleted()
    {
        var mode = _receiveMode;
        _receiveMode = None;
        if (mode == IdleWait)
        {
            _drained = false;
            _waiter!.OnReadable();
            return;
        }

        var token = _readToken;
        if (token.CanBeCanceled)
        {
            _readToken = default;
            ForgetCancel();
        }

        var error = _io.ReceiveError;
        if (error != SocketError.Success)
        {
            _receiving = default;
            _read.SetException(
                token.IsCancellationRequested ? new OperationCanceledException(token)
                : _stopped && !_closed ? new ReceiveStoppedException()
                : ReadError(error));
            return;
        }

        if (mode == ZeroByteWait)
        {
            _drained = false;
            _read.SetResult(0);
            return;
        }

        var buffer = _receiving;
        _receiving = default;
        var count = _io.BytesReceived;
        OnReceived(buffer.Span[..count], buffer.Length);
        _read.SetResult(count);
    }

    void ISocketIoCallback.OnSendCompleted()
    {
        if (_io.SendError != SocketError.Success)
        {
            _write.SetException(new IOException("send failed", new SocketException((int)_io.SendError)));
            return;
        }

        CountSent(_sending);
        _write.SetResult(true);
    }

    int IValueTaskSource<int>.GetResult(short token) => _read.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<int>.GetStatus(short token) => _read.GetStatus(token);

    void IValueTaskSource<int>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _read.OnCompleted(continuation, state, token, flags);

    void IValueTaskSource.GetResult(short token) => _write.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _write.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _write.OnCompleted(continuation, state, token, flags);

    /// <summary>Unregisters the read's cancellation, and drops the registration (it would keep the token's source alive).</summary>
    private void ForgetCancel()
    {
        var registration = _readCancel;
        _readCancel = default;
        registration.Dispose();
    }

    private IOException ReadError(SocketError error) =>
        _closed ? new IOException("receive failed: the connection was closed", new ObjectDisposedException(nameof(Socket))) : new IOException("receive failed", new SocketException((int)error));

    private void OnReceived(ReadOnlySpan<byte> data, int asked)
    {
        _drained = data.Length < asked && data.Length > 0;
        if (!_framingLost)
        {
            Track(data);
        }
    }

    /// <summary>Follows the record framing (type, 2 bytes version, 2 bytes length, payload) through <paramref name="data"/>.</summary>
    private void Track(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            if (_recordLeft > 0)
            {
                var skip = Math.Min(_recordLeft, data.Length);
                _recordLeft -= skip;
                data = data[skip..];
                if (_recordLeft == 0)
                {
                    _recordsSince++;
                }

                continue;
            }

            var b = data[0];
            data = data[1..];
            switch (_headerSeen)
            {
                case 0:
                    if (b is < 20 or > 24)
                    {
                        _framingLost = true; // Not TLS records (an SSLv2 hello, garbage): never park.
                        return;
                    }

                    break;
                case 3:
                    _recordLength = b << 8;
                    break;
                case 4:
                    _recordLength |= b;
                    _recordLeft = _recordLength;
                    _headerSeen = -1;
                    if (_recordLeft == 0)
                    {
                        _recordsSince++;
                    }

                    break;
            }

            _headerSeen++;
        }
    }
}
