using System.Net;
using System.Net.Sockets;
using PipeChat.Tests.Chat.Integration;
using PipeChat.Tests.Support;

namespace PipeChat.Tests.Admission;

/// <summary>
/// --max-connections and --max-connections-per-ip over real sockets. 127.0.0.1 and 127.0.0.2 are
/// two client addresses on loopback. (Iterative holds one connection at a time: no cap is reached.)
/// </summary>
public class ConnectionLimitTests
{
    private static readonly IPAddress First = IPAddress.Loopback;
    private static readonly IPAddress Second = IPAddress.Parse("127.0.0.2");

    [Theory]
    [MemberData(nameof(TestServers.TcpConcurrentModels), MemberType = typeof(TestServers))]
    public async Task Echo_connections_over_the_per_ip_cap_get_eof_and_are_counted(TcpModel model)
    {
        await using var server = TestServers.StartTcp(model, maxConnectionsPerIp: 2);
        var held = new List<TestClient>();
        for (var i = 0; i < 2; i++)
        {
            held.Add(await EchoingClientAsync(server.LocalEndPoint, First));
        }

        using (var over = await TestClient.ConnectAsync(server.LocalEndPoint, from: First))
        {
            Assert.Empty(await ReadToEndAsync(over));
        }

        await Wait.UntilAsync(() => server.Stats.RejectedPerIp == 1, "one per-ip rejection counted");

        // Another address is not limited by the first one's connections.
        held.Add(await EchoingClientAsync(server.LocalEndPoint, Second));

        // A slot of the first address frees when one of its connections closes.
        held[0].Dispose();
        await Wait.UntilAsync(() => server.Stats.Active == 2, "a connection closed");
        held.Add(await EchoingClientAsync(server.LocalEndPoint, First));

        Assert.Equal(1, server.Stats.RejectedPerIp);
        Assert.Equal(0, server.Stats.RejectedMaxConnections);
        held.ForEach(c => c.Dispose());
    }

    [Theory]
    [MemberData(nameof(TestServers.TcpConcurrentModels), MemberType = typeof(TestServers))]
    public async Task Echo_connections_over_max_connections_get_eof_without_a_word(TcpModel model)
    {
        await using var server = TestServers.StartTcp(model, maxConnections: 1, maxConnectionsPerIp: 5);
        using var held = await EchoingClientAsync(server.LocalEndPoint, First);
        using (var over = await TestClient.ConnectAsync(server.LocalEndPoint, from: Second))
        {
            Assert.Empty(await ReadToEndAsync(over));
        }

        await Wait.UntilAsync(() => server.Stats.RejectedMaxConnections == 1, "one max-connections rejection counted");
        Assert.Equal(0, server.Stats.RejectedPerIp);
    }

    [Theory]
    [MemberData(nameof(TestServers.TcpConcurrentModels), MemberType = typeof(TestServers))]
    public async Task Chat_connections_over_the_per_ip_cap_read_server_full_then_eof(TcpModel model)
    {
        await using var chat = TcpChatFixture.Start(model, maxConnectionsPerIp: 1);
        var a = await chat.ConnectAsync(from: First);
        await a.ExpectAsync("* welcome user1");

        var over = await chat.ConnectAsync(from: First);
        await over.ExpectAsync("! server full");
        await over.ExpectClosedAsync();
        await Wait.UntilAsync(() => chat.Server.Stats.RejectedPerIp == 1, "one per-ip rejection counted");

        var b = await chat.ConnectAsync(from: Second);
        await b.ExpectAsync("* welcome user2");
        await a.ExpectAsync("* user2 joined");
        Assert.Equal(0, chat.Server.Stats.RejectedMaxConnections);
    }

    [Theory]
    [MemberData(nameof(TestServers.TcpConcurrentModels), MemberType = typeof(TestServers))]
    public async Task Chat_connections_over_max_connections_read_server_full_then_eof(TcpModel model)
    {
        await using var chat = TcpChatFixture.Start(model, maxConnections: 1);
        var a = await chat.ConnectAsync(from: First);
        await a.ExpectAsync("* welcome user1");

        var over = await chat.ConnectAsync(from: Second);
        await over.ExpectAsync("! server full");
        await over.ExpectClosedAsync();
        await Wait.UntilAsync(() => chat.Server.Stats.RejectedMaxConnections == 1, "one max-connections rejection counted");
        Assert.Equal(0, chat.Server.Stats.RejectedPerIp);
    }

    private static async Task<TestClient> EchoingClientAsync(IPEndPoint server, IPAddress from)
    {
        var client = await TestClient.ConnectAsync(server, from: from);
        await client.SendAsync("hi");
        Assert.Equal("hi"u8.ToArray(), await client.ReceiveExactlyAsync(2));
        return client;
    }

    private static async Task<byte[]> ReadToEndAsync(TestClient client)
    {
        using var timeout = new CancellationTokenSource(Wait.Default);
        var received = new List<byte>();
        var buffer = new byte[256];
        try
        {
            while (true)
            {
                var count = await client.Socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
                if (count == 0)
                {
                    return [.. received];
                }

                received.AddRange(buffer.AsSpan(0, count));
            }
        }
        catch (SocketException)
        {
            return [.. received]; // Reset: closed as well.
        }
    }
}
