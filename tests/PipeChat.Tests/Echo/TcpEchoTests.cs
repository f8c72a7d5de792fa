using System.Net.Sockets;
using PipeChat.Servers;
using PipeChat.Tests.Support;

namespace PipeChat.Tests.Echo;

/// <summary>The same echo suite over real loopback sockets, for every connection model.</summary>
public class TcpEchoTests
{
    [Theory]
    [MemberData(nameof(TestServers.TcpEchoModels), MemberType = typeof(TestServers))]
    public async Task Small_messages_come_back_unchanged(TcpModel model)
    {
        await using var server = TestServers.StartTcp(model);
        using var client = await TestClient.ConnectAsync(server.LocalEndPoint);

        foreach (var size in new[] { 1, 64, 1000 })
        {
            var data = TestServers.RandomBytes(size, size);
            await client.SendAsync(data);
            Assert.Equal(data, await client.ReceiveExactlyAsync(size));
        }
    }

    [Theory]
    [MemberData(nameof(TestServers.TcpEchoModels), MemberType = typeof(TestServers))]
    public async Task One_MiB_of_random_bytes_comes_back_in_order(TcpModel model)
    {
        await using var server = TestServers.StartTcp(model);
        using var client = await TestClient.ConnectAsync(server.LocalEndPoint);
        var data = TestServers.RandomBytes(1024 * 1024, 42);

        // Send and receive at once: 1 MiB is more than the socket buffers hold.
        var receiving = client.ReceiveExactlyAsync(data.Length);
        await client.SendAsync(data);

        Assert.Equal(data, await receiving.WithTimeout("1 MiB echo"));
    }

    [Theory]
    [MemberData(nameof(TestServers.TcpEchoModels), MemberType = typeof(TestServers))]
    public async Task A_message_and_FIN_sent_together_are_echoed_then_closed(TcpModel model)
    {
        // The FIN usually lands with the data, before the server's first read: that read ends
        // short of the EOF, and edge-triggered epoll raises no new event for it.
        await using var server = TestServers.StartTcp(model);
        using var client = await TestClient.ConnectAsync(server.LocalEndPoint);
        var data = TestServers.RandomBytes(100, 11);
        await client.SendAsync(data);
        client.Socket.Shutdown(SocketShutdown.Send);

        Assert.Equal(data, await client.ReceiveToEndAsync().WithTimeout("echo until EOF"));
    }

    [Theory]
    [MemberData(nameof(TestServers.TcpEchoModels), MemberType = typeof(TestServers))]
    public async Task Half_close_echoes_everything_then_closes(TcpModel model)
    {
        await using var server = TestServers.StartTcp(model);
        using var client = await TestClient.ConnectAsync(server.LocalEndPoint);
        var data = TestServers.RandomBytes(300_000, 7);

        var receiving = client.ReceiveToEndAsync();
        await client.SendAsync(data);
        client.Socket.Shutdown(SocketShutdown.Send);

        Assert.Equal(data, await receiving.WithTimeout("echo until EOF"));
    }

    [Theory]
    [MemberData(nameof(TestServers.TcpEchoModels), MemberType = typeof(TestServers))]
    public async Task Fifty_concurrent_clients_each_get_their_own_data(TcpModel model)
    {
        await using var server = TestServers.StartTcp(model);

        async Task<bool> OneClient(int id)
        {
            using var client = await TestClient.ConnectAsync(server.LocalEndPoint);
            var data = TestServers.RandomBytes(20_000 + id, id);
            var receiving = client.ReceiveToEndAsync();
            await client.SendAsync(data);
            client.Socket.Shutdown(SocketShutdown.Send);
            var echoed = await receiving;
            return data.AsSpan().SequenceEqual(echoed);
        }

        var results = await Task.WhenAll(Enumerable.Range(1, 50).Select(OneClient)).WithTimeout("50 clients", TimeSpan.FromSeconds(60));
        Assert.All(results, Assert.True);
        await Wait.UntilAsync(() => server.Stats.Active == 0, "all connections closed");
        Assert.Equal(50, server.Stats.Accepted);
    }

    [Fact]
    public async Task Iterative_serves_one_client_at_a_time()
    {
        await using var server = TestServers.StartTcp(ConnectionModel.Iterative);
        using var first = await TestClient.ConnectAsync(server.LocalEndPoint);
        await first.SendAsync("a");
        await first.ReceiveExactlyAsync(1);

        using var second = await TestClient.ConnectAsync(server.LocalEndPoint);
        await second.SendAsync("b");

        // While the first is open the second waits in the backlog, however long the first talks.
        for (var i = 0; i < 20; i++)
        {
            await first.SendAsync("x");
            await first.ReceiveExactlyAsync(1);
        }

        Assert.Equal(1, server.Stats.Accepted);
        Assert.Equal(0, second.Socket.Available);

        first.Socket.Shutdown(SocketShutdown.Send);
        await first.ReceiveToEndAsync();
        Assert.Equal("b"u8.ToArray(), await second.ReceiveExactlyAsync(1));
        Assert.Equal(2, server.Stats.Accepted);
    }

    [Theory]
    [MemberData(nameof(TestServers.TcpEchoModels), MemberType = typeof(TestServers))]
    public async Task A_reset_client_does_not_disturb_others(TcpModel model)
    {
        await using var server = TestServers.StartTcp(model);
        TestClient? bystander = null;
        if (model.Model != ConnectionModel.Iterative)
        {
            bystander = await TestClient.ConnectAsync(server.LocalEndPoint);
            await bystander.SendAsync("before");
            await bystander.ReceiveExactlyAsync(6);
        }

        using (var rude = await TestClient.ConnectAsync(server.LocalEndPoint))
        {
            await rude.SendAsync(TestServers.RandomBytes(100_000, 3));
            rude.Reset();
        }

        if (bystander is not null)
        {
            await bystander.SendAsync("after");
            Assert.Equal("after"u8.ToArray(), await bystander.ReceiveExactlyAsync(5));
            bystander.Dispose();
        }

        using var next = await TestClient.ConnectAsync(server.LocalEndPoint);
        await next.SendAsync("fine");
        Assert.Equal("fine"u8.ToArray(), await next.ReceiveExactlyAsync(4));
        await Wait.UntilAsync(() => server.Stats.Active <= 1, "reset connection cleaned up");
    }

    [Theory]
    [MemberData(nameof(TestServers.TcpEchoModels), MemberType = typeof(TestServers))]
    public async Task A_storm_of_500_connects_and_disconnects_leaves_the_server_healthy(TcpModel model)
    {
        await using var server = TestServers.StartTcp(model);

        async Task Storm(int i)
        {
            using var client = await TestClient.ConnectAsync(server.LocalEndPoint);
            if (i % 3 == 0)
            {
                await client.SendAsync("x");
            }

            if (i % 2 == 0)
            {
                client.Reset();
            }
        }

        // Connect in waves so the backlog (and the iterative model) keep up.
        for (var wave = 0; wave < 5; wave++)
        {
            await Task.WhenAll(Enumerable.Range(wave * 100, 100).Select(Storm)).WithTimeout("connection storm", TimeSpan.FromSeconds(60));
        }

        await Wait.UntilAsync(() => server.Stats.Accepted == 500 && server.Stats.Active == 0, "storm drained", TimeSpan.FromSeconds(60));

        using var client = await TestClient.ConnectAsync(server.LocalEndPoint);
        var data = TestServers.RandomBytes(10_000, 9);
        var receiving = client.ReceiveExactlyAsync(data.Length);
        await client.SendAsync(data);
        Assert.Equal(data, await receiving);
    }

    [Theory]
    [MemberData(nameof(TestServers.TcpEchoModels), MemberType = typeof(TestServers))]
    public async Task A_client_that_never_reads_cannot_grow_server_memory(TcpModel model)
    {
        const int total = 64 * 1024 * 1024;
        const int chunk = 64 * 1024;
        await using var server = TestServers.StartTcp(model);
        using var client = await TestClient.ConnectAsync(server.LocalEndPoint, bufferSize: 64 * 1024);
        var block = TestServers.RandomBytes(chunk, 11);

        var sending = Task.Run(async () =>
        {
            for (var sent = 0; sent < total; sent += chunk)
            {
                await client.SendAsync(block);
            }
        });

        // The client reads nothing: once every buffer on the way is full, the server stops reading.
        var received = await Wait.UntilStableAsync(() => server.Stats.BytesIn, TimeSpan.FromMilliseconds(250), polls: 4);
        Assert.False(sending.IsCompleted, "the sender should be blocked by backpressure");
        Assert.True(received < total, $"server read {received} bytes from a client that reads nothing");
        Assert.True(server.Stats.MaxBufferedPerConnection <= 512 * 1024, $"server held {server.Stats.MaxBufferedPerConnection} bytes for one connection");

        // Reading again resumes the flow, and every byte arrives intact.
        for (var got = 0; got < total; got += chunk)
        {
            var echoed = await client.ReceiveExactlyAsync(chunk);
            Assert.True(block.AsSpan().SequenceEqual(echoed), $"corrupt data at offset {got}");
        }

        await sending.WithTimeout("sender finished");
        Assert.True(server.Stats.MaxBufferedPerConnection <= 512 * 1024);
    }

    [Theory]
    [MemberData(nameof(TestServers.TcpConcurrentModels), MemberType = typeof(TestServers))]
    public async Task Connections_over_the_limit_are_closed_and_counted(TcpModel model)
    {
        await using var server = TestServers.StartTcp(model, maxConnections: 3);
        var held = new List<TestClient>();
        for (var i = 0; i < 3; i++)
        {
            var client = await TestClient.ConnectAsync(server.LocalEndPoint);
            await client.SendAsync("k");
            await client.ReceiveExactlyAsync(1);
            held.Add(client);
        }

        using (var extra = await TestClient.ConnectAsync(server.LocalEndPoint))
        {
            Assert.True(await extra.IsClosedByServerAsync());
        }

        Assert.Equal(1, server.Stats.Rejected);

        held[0].Dispose();
        await Wait.UntilAsync(() => server.Stats.Active == 2, "a slot freed");
        using var again = await TestClient.ConnectAsync(server.LocalEndPoint);
        await again.SendAsync("ok");
        Assert.Equal("ok"u8.ToArray(), await again.ReceiveExactlyAsync(2));
        held.ForEach(c => c.Dispose());
    }

    [Theory]
    [MemberData(nameof(TestServers.TcpEchoModels), MemberType = typeof(TestServers))]
    public async Task Graceful_stop_flushes_what_was_received_then_closes(TcpModel model)
    {
        var server = TestServers.StartTcp(model);
        using var client = await TestClient.ConnectAsync(server.LocalEndPoint);
        var data = TestServers.RandomBytes(100_000, 5);
        var receiving = client.ReceiveToEndAsync();
        await client.SendAsync(data);
        await Wait.UntilAsync(() => server.Stats.BytesIn == data.Length, "server received everything");

        await server.StopAsync(TimeSpan.FromSeconds(10)).WithTimeout("graceful stop");

        Assert.Equal(data, await receiving);
    }
}
