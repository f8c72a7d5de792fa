using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using PipeChat.Benchmarks.Support;
using PipeChat.Servers;
using PipeChat.Transport;

namespace PipeChat.Benchmarks;

/// <summary>
/// The same 64-byte loopback echo served four ways, to see what the transport itself is worth.
/// One op = one round trip; the client (<see cref="EchoClients"/>, one connection) is identical
/// and allocation-free, so differences in time and Allocated are the server side's.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Shipped: <see cref="AsyncTcpServer"/> with the echo protocol: awaitable SocketAsyncEventArgs
/// (SocketReceiver/SocketSender) feeding an input Pipe, session, output Pipe, send loop.</item>
/// <item>The bare awaitable-SAEA loop: SocketReceiver/SocketSender, receive then send, no pipes, no session.</item>
/// <item>Baseline: NetworkStream wrapped in PipeReader.Create/PipeWriter.Create (the stock way to get pipes on a socket).</item>
/// <item>Socket.ReceiveAsync/SendAsync with Memory and ValueTask (the runtime's own cached awaitable args).</item>
/// </list>
/// </remarks>
[MemoryDiagnoser]
public class Transport
{
    private const int MessageSize = 64;
    private const int RoundTripsPerInvoke = 64;

    private IServer? _server;
    private Socket? _serverSocket;
    private Task _serverLoop = Task.CompletedTask;
    private EchoClients? _clients;

    [GlobalSetup(Target = nameof(AsyncTcpServerShipped))]
    public void SetupAsyncTcpServer()
    {
        _server = EchoServers.Start(ConnectionModel.Async);
        Connect(_server.LocalEndPoint);
    }

    [GlobalSetup(Target = nameof(SaeaLoop))]
    public void SetupSaeaLoop() => StartLoop(SaeaEchoAsync);

    [GlobalSetup(Target = nameof(StreamPipes))]
    public void SetupStreamPipes() => StartLoop(StreamPipesEchoAsync);

    [GlobalSetup(Target = nameof(SocketValueTask))]
    public void SetupSocketValueTask() => StartLoop(SocketValueTaskEchoAsync);

    [GlobalCleanup]
    public void Cleanup()
    {
        _clients?.Dispose();
        EchoServers.Stop(_server);
        if (!_serverLoop.Wait(EchoClients.Timeout))
        {
            throw new TimeoutException("The echo loop did not end after its client closed.");
        }

        _serverSocket?.Dispose();
        _serverLoop.GetAwaiter().GetResult();
    }

    /// <summary>The shipped transport, with the session in between.</summary>
    [Benchmark(OperationsPerInvoke = RoundTripsPerInvoke)]
    public ValueTask AsyncTcpServerShipped() => _clients!.RoundTripsAsync(RoundTripsPerInvoke);

    [Benchmark(OperationsPerInvoke = RoundTripsPerInvoke)]
    public ValueTask SaeaLoop() => _clients!.RoundTripsAsync(RoundTripsPerInvoke);

    [Benchmark(Baseline = true, OperationsPerInvoke = RoundTripsPerInvoke)]
    public ValueTask StreamPipes() => _clients!.RoundTripsAsync(RoundTripsPerInvoke);

    [Benchmark(OperationsPerInvoke = RoundTripsPerInvoke)]
    public ValueTask SocketValueTask() => _clients!.RoundTripsAsync(RoundTripsPerInvoke);

    private static async Task SaeaEchoAsync(Socket socket)
    {
        using var receiver = new SocketReceiver(PipeScheduler.Inline);
        using var sender = new SocketSender(PipeScheduler.Inline);
        var buffer = GC.AllocateArray<byte>(4096, pinned: true);
        while (true)
        {
            var count = await receiver.ReceiveAsync(socket, buffer);
            if (count == 0)
            {
                return;
            }

            await sender.SendAsync(socket, buffer.AsMemory(0, count));
        }
    }

    private static async Task StreamPipesEchoAsync(Socket socket)
    {
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        var reader = PipeReader.Create(stream);
        var writer = PipeWriter.Create(stream);
        while (true)
        {
            var result = await reader.ReadAsync();
            var buffer = result.Buffer;
            foreach (var segment in buffer)
            {
                writer.Write(segment.Span);
            }

            reader.AdvanceTo(buffer.End);
            await writer.FlushAsync();
            if (result.IsCompleted)
            {
                break;
            }
        }

        await reader.CompleteAsync();
        await writer.CompleteAsync();
    }

    private static async Task SocketValueTaskEchoAsync(Socket socket)
    {
        var buffer = GC.AllocateArray<byte>(4096, pinned: true);
        while (true)
        {
            var count = await socket.ReceiveAsync(buffer.AsMemory(), SocketFlags.None);
            if (count == 0)
            {
                return;
            }

            var sent = 0;
            while (sent < count)
            {
                sent += await socket.SendAsync(buffer.AsMemory(sent, count - sent), SocketFlags.None);
            }
        }
    }

    private void StartLoop(Func<Socket, Task> echo)
    {
        var (client, server) = SocketPair.Create();
        _serverSocket = server;
        _serverLoop = Task.Run(() => echo(server));
        _clients = EchoClients.Adopt(client, MessageSize);
        Warm();
    }

    private void Connect(IPEndPoint endPoint)
    {
        _clients = EchoClients.Connect(endPoint, 1, MessageSize);
        Warm();
    }

    private void Warm()
    {
        _clients!.RoundTrips(1);
        _clients.VerifyLastEcho();
    }
}
