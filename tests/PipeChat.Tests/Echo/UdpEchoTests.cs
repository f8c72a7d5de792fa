using System.Net.Sockets;
using PipeChat.Servers;
using PipeChat.Tests.Support;

namespace PipeChat.Tests.Echo;

public class UdpEchoTests
{
    [Theory]
    [MemberData(nameof(TestServers.EchoModels), MemberType = typeof(TestServers))]
    public async Task Datagrams_of_1_1000_and_60000_bytes_come_back_unchanged(ConnectionModel model)
    {
        await using var server = TestServers.StartUdp(model);
        using var client = new Socket(server.LocalEndPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        client.Connect(server.LocalEndPoint);
        var reply = new byte[65_536];

        foreach (var size in new[] { 1, 1000, 60_000 })
        {
            var data = TestServers.RandomBytes(size, size);
            await client.SendAsync(data, SocketFlags.None);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var count = await client.ReceiveAsync(reply, SocketFlags.None, timeout.Token);
            Assert.Equal(data, reply.AsSpan(0, count).ToArray());
        }
    }

    [Theory]
    [MemberData(nameof(TestServers.EchoModels), MemberType = typeof(TestServers))]
    public async Task Each_sender_gets_its_own_datagram_back(ConnectionModel model)
    {
        await using var server = TestServers.StartUdp(model);
        var clients = Enumerable.Range(0, 5).Select(_ =>
        {
            var s = new Socket(server.LocalEndPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            s.Connect(server.LocalEndPoint);
            return s;
        }).ToList();
        try
        {
            for (var i = 0; i < clients.Count; i++)
            {
                await clients[i].SendAsync(new[] { (byte)i }, SocketFlags.None);
            }

            for (var i = 0; i < clients.Count; i++)
            {
                var reply = new byte[16];
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                var count = await clients[i].ReceiveAsync(reply, SocketFlags.None, timeout.Token);
                Assert.Equal(new[] { (byte)i }, reply.AsSpan(0, count).ToArray());
            }
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }
}
