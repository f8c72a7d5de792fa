using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;

namespace PipeChat.Tests.LoadTests;

/// <summary>A tiny TCP echo server on 127.0.0.1, port chosen by the OS.</summary>
internal sealed class LoopbackEchoServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _cts = new();
    private readonly ConcurrentBag<Socket> _clients = [];
    private readonly Task _accept;

    public LoopbackEchoServer()
    {
        _listener.Start(1024);
        _accept = AcceptAsync();
    }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

    public async ValueTask DisposeAsync()
    {
        await _cts.CancelAsync();
        _listener.Stop();
        foreach (var c in _clients)
        {
            c.Dispose();
        }

        await _accept.WaitAsync(TimeSpan.FromSeconds(5));
        _cts.Dispose();
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var socket = await _listener.AcceptSocketAsync(_cts.Token);
                _clients.Add(socket);
                _ = EchoAsync(socket);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task EchoAsync(Socket socket)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                int n = await socket.ReceiveAsync(buffer, SocketFlags.None, _cts.Token);
                if (n == 0)
                {
                    return;
                }

                await socket.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, _cts.Token);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            socket.Dispose();
        }
    }
}

/// <summary>A tiny UDP echo server on 127.0.0.1.</summary>
internal sealed class LoopbackUdpEchoServer : IAsyncDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly CancellationTokenSource _cts = new();
    private readonly Task _loop;

    public LoopbackUdpEchoServer()
    {
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _loop = LoopAsync();
    }

    public IPEndPoint EndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    public async ValueTask DisposeAsync()
    {
        await _cts.CancelAsync();
        _socket.Dispose();
        await _loop.WaitAsync(TimeSpan.FromSeconds(5));
        _cts.Dispose();
    }

    private async Task LoopAsync()
    {
        var buffer = new byte[65536];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        try
        {
            while (true)
            {
                var r = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, _cts.Token);
                await _socket.SendToAsync(buffer.AsMemory(0, r.ReceivedBytes), SocketFlags.None, r.RemoteEndPoint, _cts.Token);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }
}

/// <summary>
/// A fake chat server speaking the bits of docs/protocols.md the chat scenario relies on: <c>* welcome NAME</c>
/// first, <c>* NAME joined</c> to the others, <c>/nick NEW</c> as a notice to the others, and every
/// other line relayed to the others as <c>&lt;NAME&gt; line</c>. Each member has an unbounded outbox, so a member that never reads
/// slows nobody (good enough for a short test).
/// </summary>
internal sealed class FakeChatServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _cts = new();
    private readonly ConcurrentDictionary<int, Member> _members = new();
    private readonly Task _accept;
    private int _next;

    public FakeChatServer()
    {
        _listener.Start(1024);
        _accept = AcceptAsync();
    }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

    public async ValueTask DisposeAsync()
    {
        await _cts.CancelAsync();
        _listener.Stop();
        foreach (var m in _members.Values)
        {
            m.Socket.Dispose();
        }

        await _accept.WaitAsync(TimeSpan.FromSeconds(5));
        _cts.Dispose();
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var socket = await _listener.AcceptSocketAsync(_cts.Token);
                int id = Interlocked.Increment(ref _next);
                var member = new Member(id, socket);
                _members[id] = member;
                _ = WriteAsync(member);
                member.Outbox.Writer.TryWrite(Encoding.UTF8.GetBytes($"* welcome user{id}\n"));
                Broadcast(id, Encoding.UTF8.GetBytes($"* user{id} joined\n"));
                _ = ReadAsync(member);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private void Broadcast(int from, byte[] line)
    {
        foreach (var m in _members.Values)
        {
            if (m.Id != from)
            {
                m.Outbox.Writer.TryWrite(line);
            }
        }
    }

    private static readonly byte[] Nick = "/nick "u8.ToArray();

    private static bool IsNick(List<byte> line) => line.Count > Nick.Length && line.Take(Nick.Length).SequenceEqual(Nick);

    private async Task ReadAsync(Member member)
    {
        var buffer = new byte[8192];
        var pending = new List<byte>();
        byte[] prefix = Encoding.UTF8.GetBytes($"<user{member.Id}> ");
        try
        {
            while (true)
            {
                int n = await member.Socket.ReceiveAsync(buffer, SocketFlags.None, _cts.Token);
                if (n == 0)
                {
                    break;
                }

                for (int i = 0; i < n; i++)
                {
                    if (buffer[i] != (byte)'\n')
                    {
                        pending.Add(buffer[i]);
                        continue;
                    }

                    if (pending.Count > 0 && IsNick(pending))
                    {
                        // a rename is a notice to the others, as on the real server (the fake keeps the old name)
                        Broadcast(member.Id, [.. Encoding.UTF8.GetBytes($"* user{member.Id} is now "), .. pending.Skip(Nick.Length), (byte)'\n']);
                    }
                    else if (pending.Count > 0)
                    {
                        Broadcast(member.Id, [.. prefix, .. pending, (byte)'\n']);
                    }

                    pending.Clear();
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            _members.TryRemove(member.Id, out _);
            member.Outbox.Writer.TryComplete();
        }
    }

    private async Task WriteAsync(Member member)
    {
        try
        {
            await foreach (var line in member.Outbox.Reader.ReadAllAsync(_cts.Token))
            {
                await member.Socket.SendAsync(line, SocketFlags.None, _cts.Token);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private sealed record Member(int Id, Socket Socket)
    {
        public Channel<byte[]> Outbox { get; } = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
    }
}
