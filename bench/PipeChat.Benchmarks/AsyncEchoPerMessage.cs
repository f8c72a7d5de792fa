using System.Net.Sockets;
using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;
using PipeChat.Benchmarks.Support;
using PipeChat.Servers;
using PipeChat.Transport;

namespace PipeChat.Benchmarks;

/// <summary>
/// Steady-state cost of one message through the async model: one connection to an
/// <see cref="AsyncTcpServer"/> echo, one op = send one message, read its echo back.
/// </summary>
/// <remarks>
/// <para>
/// Server-side allocations cannot be observed from the client directly, so the client here is
/// written not to allocate: Socket.SendAsync/ReceiveAsync on Memory&lt;byte&gt; return ValueTasks
/// backed by the socket's cached awaitable args, this method's own state machine is pooled
/// (<see cref="PoolingAsyncValueTaskMethodBuilder"/>), and the timeout is one long-lived
/// CancellationTokenSource re-armed per op. MemoryDiagnoser counts allocations process-wide, so
/// Allocated is the whole round trip: server transport + session + this client + the runtime's
/// socket engine. 0 B here therefore means 0 B on the server too.
/// </para>
/// </remarks>
[MemoryDiagnoser]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "BenchmarkDotNet owns the lifetime: [GlobalCleanup] disposes.")]
public class AsyncEchoPerMessage
{
    private IServer? _server;
    private Socket? _client;
    private byte[] _message = null!;
    private byte[] _echo = null!;
    private CancellationTokenSource _deadline = null!;

    [Params(64, 4096)]
    public int MessageSize { get; set; }

    /// <summary>The socket I/O under the async model: our epoll loop, or the runtime's SocketAsyncEventArgs.</summary>
    [Params(SocketIoKind.Epoll, SocketIoKind.Saea)]
    public SocketIoKind Io { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _server = EchoServers.Start(ConnectionModel.Async, Io);
        _client = new Socket(_server.LocalEndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        _deadline = new CancellationTokenSource();
        _message = GC.AllocateArray<byte>(MessageSize, pinned: true);
        new Random(MessageSize).NextBytes(_message);
        _echo = GC.AllocateArray<byte>(MessageSize, pinned: true);

        using (var connect = new CancellationTokenSource(EchoClients.Timeout))
        {
            _client.ConnectAsync(_server.LocalEndPoint, connect.Token).AsTask().GetAwaiter().GetResult();
        }

        RoundTrip().AsTask().GetAwaiter().GetResult();
        if (!_message.AsSpan().SequenceEqual(_echo))
        {
            throw new InvalidOperationException("The echo differs from what was sent.");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _client?.Dispose();
        EchoServers.Stop(_server);
        _deadline?.Dispose();
    }

    [Benchmark]
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> RoundTrip()
    {
        // Re-arming moves the existing timer: no allocation. A dead server fails the op after the timeout.
        _deadline.CancelAfter(EchoClients.Timeout);
        var token = _deadline.Token;
        var socket = _client!;

        ReadOnlyMemory<byte> pending = _message;
        while (!pending.IsEmpty)
        {
            pending = pending[await socket.SendAsync(pending, SocketFlags.None, token)..];
        }

        var received = 0;
        while (received < _echo.Length)
        {
            var count = await socket.ReceiveAsync(_echo.AsMemory(received), SocketFlags.None, token);
            if (count == 0)
            {
                throw new EndOfStreamException("The server closed the connection.");
            }

            received += count;
        }

        return received;
    }
}
