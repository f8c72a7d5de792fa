using System.Diagnostics;
using PipeChat.Protocols.Echo;
using PipeChat.Tests.Support;

namespace PipeChat.Tests.Echo;

/// <summary>docs/protocols.md: --idle-timeout closes a TCP echo connection silent that long, in every model.</summary>
public class TcpEchoIdleTimeoutTests
{
    [Theory]
    [MemberData(nameof(TestServers.TcpEchoModels), MemberType = typeof(TestServers))]
    public async Task An_idle_echo_connection_is_closed_and_the_next_client_is_served(TcpModel model)
    {
        using var echo = new EchoProtocol(TimeSpan.FromSeconds(1));
        await using var server = TestServers.StartTcp(model, echo);
        using var idle = await TestClient.ConnectAsync(server.LocalEndPoint);
        await idle.SendAsync("hi");
        Assert.Equal("hi"u8.ToArray(), await idle.ReceiveExactlyAsync(2));

        // Iterative serves one client at a time: this one waits until the idle one is dropped.
        var clock = Stopwatch.StartNew();
        using var next = await TestClient.ConnectAsync(server.LocalEndPoint);
        await next.SendAsync("next");
        Assert.Equal("next"u8.ToArray(), await next.ReceiveExactlyAsync(4));

        Assert.True(await idle.IsClosedByServerAsync(), "the idle connection stayed open");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"closed only after {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.True(echo.IdleTimeouts.Count >= 1);
    }

    [Theory]
    [MemberData(nameof(TestServers.TcpEchoModels), MemberType = typeof(TestServers))]
    public async Task A_connection_that_keeps_sending_is_not_idle(TcpModel model)
    {
        // A byte every 100 ms against a 3 s timeout: a loaded 2-core box may stall the client for a
        // second, never for thirty sends in a row.
        using var echo = new EchoProtocol(TimeSpan.FromSeconds(3));
        await using var server = TestServers.StartTcp(model, echo);
        using var client = await TestClient.ConnectAsync(server.LocalEndPoint);
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(4))
        {
            await client.SendAsync("x");
            Assert.Equal("x"u8.ToArray(), await client.ReceiveExactlyAsync(1));
            await Task.Delay(100);
        }

        Assert.Equal(0, echo.IdleTimeouts.Count);
    }
}
