using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using PipeChat.Models;
using PipeChat.Protocols.Echo;
using PipeChat.Tests.Support;
using PipeChat.Transport;

namespace PipeChat.Tests.Echo;

/// <summary>
/// The async model keeps a quiet connection's empty pipes for a while (request/response
/// traffic then reuses them) and gives them back: within the retention time, and at once
/// beyond the cap of holders.
/// </summary>
public class IdleBufferRetentionTests
{
    public static TheoryData<SocketIoKind> Ios() =>
        OperatingSystem.IsLinux() ? new(SocketIoKind.Epoll, SocketIoKind.Saea) : new(SocketIoKind.Saea);

    [Theory]
    [MemberData(nameof(Ios))]
    public async Task A_quiet_connection_keeps_its_buffers_then_returns_them(SocketIoKind io)
    {
        // Swept every second: the holder is visible for at least that long.
        await using var server = Start(io, TimeSpan.FromSeconds(2), maxHolders: 1024);
        using var client = await TestClient.ConnectAsync(server.LocalEndPoint);
        await client.SendAsync("ping"u8.ToArray());
        await client.ReceiveExactlyAsync(4);

        // Kept after the answer, given back by the sweep while the client stays quiet.
        await Wait.UntilAsync(() => server.IdleBufferHolders == 1, "the quiet connection keeps its buffers");
        await Wait.UntilAsync(() => server.IdleBufferHolders == 0, "the sweep takes them back");

        // And the connection still works afterwards.
        await client.SendAsync("pong"u8.ToArray());
        Assert.Equal("pong"u8.ToArray(), await client.ReceiveExactlyAsync(4));
    }

    [Theory]
    [MemberData(nameof(Ios))]
    public async Task Holders_are_capped_and_closing_releases_the_hold(SocketIoKind io)
    {
        await using var server = Start(io, TimeSpan.FromMinutes(10), maxHolders: 2);
        var clients = new List<TestClient>();
        try
        {
            for (var i = 0; i < 5; i++)
            {
                var client = await TestClient.ConnectAsync(server.LocalEndPoint);
                clients.Add(client);
                await client.SendAsync("x"u8.ToArray());
                await client.ReceiveExactlyAsync(1);
            }

            // All five answered and are quiet: exactly the cap keeps buffers, the rest gave them back.
            await Wait.UntilAsync(() => server.IdleBufferHolders == 2, "two holders, the cap");
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }

        await Wait.UntilAsync(() => server.Stats.Active == 0, "all connections closed");
        Assert.Equal(0, server.IdleBufferHolders);
    }

    private static AsyncTcpServer Start(SocketIoKind io, TimeSpan retention, int maxHolders)
    {
        var settings = new ServerSettings
        {
            EndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            Transport = new TransportOptions { Io = io, IdleBufferRetention = retention, MaxIdleBufferHolders = maxHolders },
        };
        var server = new AsyncTcpServer(settings, EchoProtocol.Instance, NullLogger.Instance);
        server.Start();
        return server;
    }
}
