using System.Net;
using PipeChat.Tests.Support;

namespace PipeChat.Tests.Admission;

/// <summary>--keepalive, seen from the kernel: the server side of a connection has a keepalive timer.</summary>
public class KeepaliveTests
{
    private const int KeepaliveTimer = 2;

    [Theory]
    [MemberData(nameof(TestServers.TcpEchoModels), MemberType = typeof(TestServers))]
    public async Task Accepted_sockets_have_keepalive_with_the_idle_time_asked(TcpModel model)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        await using var server = TestServers.StartTcp(model, keepalive: TimeSpan.FromSeconds(47));
        var timer = await ServerSideTimerAsync(server.LocalEndPoint);
        Assert.Equal(KeepaliveTimer, timer.Timer);
        Assert.InRange(timer.Seconds, 40, 47);
    }

    [Theory]
    [MemberData(nameof(TestServers.TcpEchoModels), MemberType = typeof(TestServers))]
    public async Task Keepalive_zero_leaves_it_off(TcpModel model)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        await using var server = TestServers.StartTcp(model, keepalive: TimeSpan.Zero);
        Assert.Equal(0, (await ServerSideTimerAsync(server.LocalEndPoint)).Timer);
    }

    [Fact]
    public async Task The_cli_option_reaches_the_socket()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        using var cli = CliProcess.Start("echo --port 0 --keepalive 33");
        var timer = await ServerSideTimerAsync(await cli.ReadyAsync());
        Assert.Equal(KeepaliveTimer, timer.Timer);
        Assert.InRange(timer.Seconds, 26, 33);
    }

    /// <summary>Connects, echoes once, and reads the server-side socket's timer once no retransmission is pending.</summary>
    internal static async Task<(int Timer, double Seconds)> ServerSideTimerAsync(IPEndPoint server)
    {
        using var client = await TestClient.ConnectAsync(server);
        await client.SendAsync("k");
        await client.ReceiveExactlyAsync(1);
        var clientPort = ((IPEndPoint)client.Socket.LocalEndPoint!).Port;
        (int Timer, double Seconds)? seen = null;
        await Wait.UntilAsync(
            () => (seen = KernelTcpTable.TimerOf(server.Port, clientPort)) is { Timer: not 1 },
            "the server-side socket in /proc/net/tcp, no retransmission pending");
        return seen!.Value;
    }
}
