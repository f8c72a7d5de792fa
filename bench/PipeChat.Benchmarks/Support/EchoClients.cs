using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;

namespace PipeChat.Benchmarks.Support;

/// <summary>
/// A group of loopback echo clients that themselves allocate nothing per round trip, so what
/// MemoryDiagnoser reports is the server's (and the runtime's socket engine's) cost.
/// </summary>
/// <remarks>
/// <para>
/// Each client drives two SocketAsyncEventArgs (receive posted before send, so a 64 KiB message
/// never deadlocks on full socket buffers) from their completion callbacks; the whole group is
/// one reusable <see cref="IValueTaskSource"/>. No async state machines, no Task.WhenAll, no
/// per-call CancellationTokenSource: the only per-call work outside the sockets is one
/// <see cref="Timer.Change(TimeSpan, TimeSpan)"/>.
/// </para>
/// <para>
/// <see cref="RoundTripsAsync"/> runs waves: in a wave every client sends its message and reads
/// the echo back, all concurrently; the next wave starts when the last client of this one is done.
/// </para>
/// <para>
/// Timeouts: a watchdog timer closes every socket of a call that is still running after
/// <see cref="Timeout"/>, which fails the pending operations and so the call: a dead server
/// makes a benchmark fail, never hang.
/// </para>
/// </remarks>
internal sealed class EchoClients : IValueTaskSource, IDisposable
{
    /// <summary>Longest a single call may take.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private readonly Client[] _clients;
    private readonly Timer _watchdog;
    private ManualResetValueTaskSourceCore<bool> _core;
    private int _remainingInWave;
    private int _wavesLeft;
    private int _running;
    private Exception? _error;

    private EchoClients(Client[] clients)
    {
        _clients = clients;
        foreach (var client in clients)
        {
            client.Group = this;
        }

        _watchdog = new Timer(static state => ((EchoClients)state!).OnWatchdog(), this, System.Threading.Timeout.InfiniteTimeSpan, System.Threading.Timeout.InfiniteTimeSpan);
    }

    /// <summary>Connects <paramref name="count"/> clients with pinned buffers of <paramref name="messageSize"/>.</summary>
    public static EchoClients Connect(IPEndPoint server, int count, int messageSize)
    {
        var clients = new Client[count];
        try
        {
            for (int i = 0; i < count; i++)
            {
                clients[i] = new Client(ConnectSocket(server), messageSize, seed: i);
            }
        }
        catch
        {
            foreach (var client in clients)
            {
                client?.Dispose();
            }

            throw;
        }

        return new EchoClients(clients);
    }

    /// <summary>One client on an already connected socket, which the group then owns.</summary>
    public static EchoClients Adopt(Socket connected, int messageSize)
    {
        ArgumentNullException.ThrowIfNull(connected);
        return new EchoClients([new Client(connected, messageSize, seed: 0)]);
    }

    /// <summary>
    /// <paramref name="waves"/> rounds of one echo per client; completes when all are back.
    /// Do not call again before the returned task completed.
    /// </summary>
    public ValueTask RoundTripsAsync(int waves)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(waves);
        if (Interlocked.Exchange(ref _running, 1) != 0)
        {
            throw new InvalidOperationException("A round trip is already running.");
        }

        _core.Reset();
        _error = null;
        _wavesLeft = waves;
        _watchdog.Change(Timeout, System.Threading.Timeout.InfiniteTimeSpan);
        var task = new ValueTask(this, _core.Version);
        StartWave();
        return task;
    }

    /// <summary>Blocking form of <see cref="RoundTripsAsync"/> for setup code.</summary>
    public void RoundTrips(int waves) => RoundTripsAsync(waves).AsTask().GetAwaiter().GetResult();

    /// <summary>Checks that what came back last is what was sent; for setup, not measured.</summary>
    public void VerifyLastEcho()
    {
        foreach (var client in _clients)
        {
            client.Verify();
        }
    }

    public void Dispose()
    {
        _watchdog.Dispose();
        foreach (var client in _clients)
        {
            client.Dispose();
        }
    }

    void IValueTaskSource.GetResult(short token)
    {
        _core.GetResult(token);
    }

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    private static Socket ConnectSocket(IPEndPoint server)
    {
        var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            using var timeout = new CancellationTokenSource(Timeout);
            socket.ConnectAsync(server, timeout.Token).AsTask().GetAwaiter().GetResult();
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private void StartWave()
    {
        _wavesLeft--;
        Volatile.Write(ref _remainingInWave, _clients.Length);
        foreach (var client in _clients)
        {
            client.Start();
        }
    }

    private void OnClientDone(Exception? error)
    {
        if (error is not null)
        {
            Interlocked.CompareExchange(ref _error, error, null);
        }

        if (Interlocked.Decrement(ref _remainingInWave) != 0)
        {
            return;
        }

        if (_error is null && _wavesLeft > 0)
        {
            // Bounded recursion when a wave completes synchronously: at most one frame set per wave.
            StartWave();
            return;
        }

        _watchdog.Change(System.Threading.Timeout.InfiniteTimeSpan, System.Threading.Timeout.InfiniteTimeSpan);
        Volatile.Write(ref _running, 0);
        if (_error is { } e)
        {
            _core.SetException(e);
        }
        else
        {
            _core.SetResult(true);
        }
    }

    private void OnWatchdog()
    {
        if (Volatile.Read(ref _running) == 0)
        {
            return;
        }

        Interlocked.CompareExchange(ref _error, new TimeoutException($"Echo round trip took longer than {Timeout}."), null);
        foreach (var client in _clients)
        {
            client.Dispose();
        }
    }

    private sealed class Client : IDisposable
    {
        private readonly Socket _socket;
        private readonly byte[] _payload;
        private readonly byte[] _echo;
        private readonly SocketAsyncEventArgs _send;
        private readonly SocketAsyncEventArgs _receive;
        private int _received;
        private int _partsLeft;
        private Exception? _error;

        public Client(Socket connected, int messageSize, int seed)
        {
            _socket = connected;
            try
            {
                _socket.NoDelay = true;
                _payload = GC.AllocateArray<byte>(messageSize, pinned: true);
                new Random(seed).NextBytes(_payload);
                _echo = GC.AllocateArray<byte>(messageSize, pinned: true);
                _send = new SocketAsyncEventArgs(unsafeSuppressExecutionContextFlow: true);
                _send.SetBuffer(_payload, 0, _payload.Length);
                _send.Completed += static (_, e) => ((Client)e.UserToken!).OnSendCompleted();
                _send.UserToken = this;
                _receive = new SocketAsyncEventArgs(unsafeSuppressExecutionContextFlow: true);
                _receive.SetBuffer(_echo, 0, _echo.Length);
                _receive.Completed += static (_, e) => ((Client)e.UserToken!).OnReceiveCompleted();
                _receive.UserToken = this;
            }
            catch
            {
                _socket.Dispose();
                throw;
            }
        }

        public EchoClients Group { get; set; } = null!;

        public void Start()
        {
            _received = 0;
            _error = null;
            Volatile.Write(ref _partsLeft, 2);

            // Receive first: the echo may start arriving before the send has finished.
            StartReceive();
            StartSend();
        }

        public void Verify()
        {
            if (!_payload.AsSpan().SequenceEqual(_echo))
            {
                throw new InvalidOperationException("The echo differs from what was sent.");
            }
        }

        public void Dispose()
        {
            _socket.Dispose();
            _send?.Dispose();
            _receive?.Dispose();
        }

        private void StartSend()
        {
            try
            {
                // A stream-socket send completes only when every byte is queued in the kernel.
                _send.SetBuffer(0, _payload.Length);
                if (!_socket.SendAsync(_send))
                {
                    OnSendCompleted();
                }
            }
            catch (Exception e) when (e is ObjectDisposedException or SocketException)
            {
                PartDone(e);
            }
        }

        private void OnSendCompleted() =>
            PartDone(_send.SocketError == SocketError.Success ? null : new SocketException((int)_send.SocketError));

        private void StartReceive()
        {
            try
            {
                while (true)
                {
                    _receive.SetBuffer(_received, _echo.Length - _received);
                    if (_socket.ReceiveAsync(_receive))
                    {
                        return;
                    }

                    if (!ReceiveProgressed())
                    {
                        return;
                    }
                }
            }
            catch (Exception e) when (e is ObjectDisposedException or SocketException)
            {
                PartDone(e);
            }
        }

        private void OnReceiveCompleted()
        {
            if (ReceiveProgressed())
            {
                StartReceive();
            }
        }

        /// <summary>Accounts a finished receive; true when more bytes are still expected.</summary>
        private bool ReceiveProgressed()
        {
            if (_receive.SocketError != SocketError.Success)
            {
                PartDone(new SocketException((int)_receive.SocketError));
                return false;
            }

            if (_receive.BytesTransferred == 0)
            {
                PartDone(new EndOfStreamException($"Server closed after {_received} of {_echo.Length} echoed bytes."));
                return false;
            }

            _received += _receive.BytesTransferred;
            if (_received < _echo.Length)
            {
                return true;
            }

            PartDone(null);
            return false;
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private void PartDone(Exception? error)
        {
            if (error is not null)
            {
                Interlocked.CompareExchange(ref _error, error, null);

                // Fail the other half (a receive waiting for an echo that will not come) at once.
                _socket.Dispose();
            }

            if (Interlocked.Decrement(ref _partsLeft) == 0)
            {
                Group.OnClientDone(_error);
            }
        }
    }
}
