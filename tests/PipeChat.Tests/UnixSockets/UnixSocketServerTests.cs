using System.Net.Sockets;
using PipeChat.Protocols.Chat;
using PipeChat.Servers;
using PipeChat.Tests.Support;

namespace PipeChat.Tests.UnixSockets;

/// <summary>--unix in process: every model serves echo and chat over a Unix domain stream socket, owns its socket file.</summary>
public sealed class UnixSocketServerTests : IDisposable
{
    private readonly string _path = TestServers.UnixPath();

    public void Dispose() => File.Delete(_path);

    [Theory]
    [MemberData(nameof(TestServers.TcpEchoModels), MemberType = typeof(TestServers))]
    public async Task Echo_over_a_unix_socket_returns_every_byte_then_end_of_stream(TcpModel model)
    {
        await using var server = TestServers.StartUnix(model, _path);
        using var client = await TestClient.ConnectAsync(new UnixDomainSocketEndPoint(_path));
        await client.SendAsync("ping\n");
        Assert.Equal("ping\n", System.Text.Encoding.UTF8.GetString(await client.ReceiveExactlyAsync(5)));

        var data = TestServers.RandomBytes(200_000, seed: 14);
        var echoed = client.ReceiveToEndAsync();
        await client.SendAsync(data);
        client.Socket.Shutdown(SocketShutdown.Send); // Half-close: the echo still ends with every byte.
        Assert.Equal(data, await echoed.WithTimeout("echo to end of stream"));
        Assert.Equal(1, server.Stats.Accepted);
    }

    [Theory]
    [MemberData(nameof(TestServers.TcpConcurrentModels), MemberType = typeof(TestServers))]
    public async Task Chat_over_a_unix_socket_relays_between_members(TcpModel model)
    {
        using var protocol = new ChatProtocol(new ChatLimits());
        await using var server = TestServers.StartUnix(model, _path, protocol);
        var endPoint = new UnixDomainSocketEndPoint(_path);
        using var alice = await ChatTestClient.JoinAsync(endPoint);
        using var bob = await ChatTestClient.JoinAsync(endPoint);
        await alice.SkipUntilAsync($"* {bob.Name} joined");
        await alice.SendLineAsync("hello over unix");
        await bob.SkipUntilAsync($"<{alice.Name}> hello over unix");
    }

    [Theory]
    [MemberData(nameof(TestServers.TcpConcurrentModels), MemberType = typeof(TestServers))]
    public async Task Per_ip_limit_and_keepalive_leave_unix_peers_alone(TcpModel model)
    {
        // No IP address to count, no TCP options to set: both clients are served.
        await using var server = TestServers.StartUnix(model, _path, maxConnectionsPerIp: 1);
        using var first = await TestClient.ConnectAsync(new UnixDomainSocketEndPoint(_path));
        using var second = await TestClient.ConnectAsync(new UnixDomainSocketEndPoint(_path));
        foreach (var client in new[] { first, second })
        {
            await client.SendAsync("x");
            Assert.Equal((byte)'x', (await client.ReceiveExactlyAsync(1))[0]);
        }

        Assert.Equal(0, server.Stats.Rejected);
    }

    [Theory]
    [MemberData(nameof(TestServers.TcpEchoModels), MemberType = typeof(TestServers))]
    public async Task The_socket_file_is_there_while_serving_and_removed_at_stop(TcpModel model)
    {
        var server = TestServers.StartUnix(model, _path);
        Assert.True(UnixListener.IsSocketFile(_path));
        Assert.Equal(_path, ((IListeningServer)server).ListenEndPoint.ToString());
        Assert.Throws<InvalidOperationException>(() => server.LocalEndPoint);
        await server.StopAsync(TimeSpan.FromSeconds(1)).WithTimeout("stop");
        Assert.False(File.Exists(_path));
        await server.DisposeAsync();
    }

    [Theory]
    [MemberData(nameof(TestServers.TcpEchoModels), MemberType = typeof(TestServers))]
    public async Task A_stale_socket_file_is_replaced(TcpModel model)
    {
        // A server that died without removing its file (the runtime removes what it bound at
        // dispose, so the file is moved out of its way and back).
        var aside = _path + ".aside";
        using (var dead = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            dead.Bind(new UnixDomainSocketEndPoint(_path));
            dead.Listen();
            File.Move(_path, aside);
        }

        File.Move(aside, _path);

        Assert.True(UnixListener.IsStale(_path));
        await using var server = TestServers.StartUnix(model, _path);
        using var client = await TestClient.ConnectAsync(new UnixDomainSocketEndPoint(_path));
        await client.SendAsync("y");
        Assert.Equal((byte)'y', (await client.ReceiveExactlyAsync(1))[0]);
    }

    [Fact]
    public async Task A_live_socket_is_address_in_use_and_keeps_serving()
    {
        await using var first = TestServers.StartUnix(new TcpModel(ConnectionModel.Threads), _path);
        var e = Assert.Throws<SocketException>(() => TestServers.StartUnix(new TcpModel(ConnectionModel.Async), _path));
        Assert.Equal(SocketError.AddressAlreadyInUse, e.SocketErrorCode);

        using var client = await TestClient.ConnectAsync(new UnixDomainSocketEndPoint(_path));
        await client.SendAsync("z");
        Assert.Equal((byte)'z', (await client.ReceiveExactlyAsync(1))[0]);
    }

    [Fact]
    public void A_file_that_is_not_a_socket_is_never_replaced()
    {
        File.WriteAllText(_path, "precious");
        var e = Assert.Throws<SocketException>(() => TestServers.StartUnix(new TcpModel(ConnectionModel.Threads), _path));
        Assert.Equal(SocketError.AddressAlreadyInUse, e.SocketErrorCode);
        Assert.Equal("precious", File.ReadAllText(_path));
        Assert.False(UnixListener.IsSocketFile(_path));
    }
}
