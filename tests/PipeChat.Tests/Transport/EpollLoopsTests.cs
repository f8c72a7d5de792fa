using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using PipeChat.Protocols.Echo;
using PipeChat.Servers;
using PipeChat.Tests.Support;
using PipeChat.Transport;

namespace PipeChat.Tests.Transport;

/// <summary>--io-threads: the connections of one server spread over that many epoll loops, and every loop serves.</summary>
public class EpollLoopsTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Every_loop_serves_its_share_of_the_connections(int loops)
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // The epoll I/O is Linux only.
        }

        var settings = new ServerSettings
        {
            EndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            Transport = new TransportOptions { Io = SocketIoKind.Epoll, IoThreads = loops },
        };
        await using var server = new AsyncTcpServer(settings, EchoProtocol.Instance, NullLogger.Instance);
        server.Start();
        var counters = server.IoLoops!;
        Assert.Equal(loops, counters.Loops);

        // Two connections per loop, each echoing three messages.
        var clients = new List<TestClient>();
        try
        {
            for (var i = 0; i < 2 * loops; i++)
            {
                clients.Add(await TestClient.ConnectAsync(server.LocalEndPoint));
            }

            for (var round = 0; round < 3; round++)
            {
                foreach (var client in clients)
                {
                    var data = TestServers.RandomBytes(64, round);
                    await client.SendAsync(data);
                    Assert.Equal(data, await client.ReceiveExactlyAsync(data.Length).WithTimeout("echo"));
                }
            }
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }

        for (var loop = 0; loop < loops; loop++)
        {
            Assert.Equal(2, counters.Connections(loop));

            // At least one readiness event per message of its two connections.
            Assert.True(counters.Events(loop) >= 6, $"loop {loop} of {loops} ran {counters.Events(loop)} events");
        }
    }
}
