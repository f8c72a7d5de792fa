using System.Net;
using System.Net.Sockets;
using PipeChat.Tests.Support;
using PipeChat.Transport;

namespace PipeChat.Tests.Admission;

/// <summary>
/// docs/protocols.md out of file descriptors: the real executable under `ulimit -n 256` (about 115 of them
/// are taken by the runtime at start) gets more connections than it has descriptors. It must stay
/// alive, and serve again once the clients go away. Before the fix, every model but iterative
/// died here with "Out of memory." (SIGABRT).
/// </summary>
public class DescriptorExhaustionTests
{
    private const int FileLimit = 256;
    private const int Connections = 400;

    [Theory]
    [MemberData(nameof(TestServers.TcpEchoModels), MemberType = typeof(TestServers))]
    public async Task A_tcp_server_out_of_descriptors_stays_up_and_serves_again(TcpModel model)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var io = model.Io == SocketIoKind.Auto ? string.Empty : $" --io {model.Io.ToString().ToLowerInvariant()}";
        using var cli = CliProcess.Start($"echo --port 0 --model {model.Model.ToString().ToLowerInvariant()}{io}", fileLimit: FileLimit);
        var endPoint = await cli.ReadyAsync();

        var storm = await ConnectManyAsync(endPoint, Connections);
        try
        {
            if (model.Model != PipeChat.Servers.ConnectionModel.Iterative)
            {
                // Iterative serves one client at a time: the others wait in the backlog, it never runs out.
                await Wait.UntilAsync(() => cli.Stderr.Contains("accepting paused", StringComparison.Ordinal) || cli.HasExited, "the server runs out of descriptors");
            }

            // While out of descriptors, the connections it holds are still served.
            await storm[0].SendAsync("held");
            Assert.Equal("held"u8.ToArray(), await storm[0].ReceiveExactlyAsync(4));
            Assert.False(cli.HasExited, $"the server died: {cli.Stderr}");
        }
        finally
        {
            storm.ForEach(c => c.Dispose());
        }

        await EchoesAgainAsync(endPoint);
        Assert.False(cli.HasExited);
        Assert.DoesNotContain("Out of memory", cli.Stderr, StringComparison.Ordinal);
        cli.Signal("TERM");
        Assert.Equal(0, await cli.ExitCodeAsync());
    }

    [Theory]
    [InlineData("async")]
    [InlineData("threads")]
    [InlineData("iterative")]
    public async Task A_udp_server_with_few_descriptors_stays_up_under_a_flood(string model)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        using var cli = CliProcess.Start($"echo --udp --port 0 --model {model}", fileLimit: FileLimit);
        var endPoint = await cli.ReadyAsync();
        using var flood = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        var datagram = new byte[1200];
        for (var i = 0; i < 20_000; i++)
        {
            flood.SendTo(datagram, endPoint);
        }

        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        var reply = new byte[64];
        var deadline = DateTime.UtcNow + Wait.Default;
        var echoed = false;
        while (!echoed && DateTime.UtcNow < deadline)
        {
            client.SendTo("ping"u8, endPoint);
            using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
            try
            {
                var got = await client.ReceiveFromAsync(reply, new IPEndPoint(IPAddress.Any, 0), timeout.Token);
                echoed = reply.AsSpan(0, got.ReceivedBytes).SequenceEqual("ping"u8);
            }
            catch (OperationCanceledException)
            {
                // Lost in the flood: ask again.
            }
        }

        Assert.True(echoed, $"no echo after the flood. stderr: {cli.Stderr}");
        Assert.False(cli.HasExited);
        cli.Signal("TERM");
        Assert.Equal(0, await cli.ExitCodeAsync());
    }

    private static async Task<List<TestClient>> ConnectManyAsync(IPEndPoint endPoint, int count)
    {
        var clients = new List<TestClient>(count);
        for (var i = 0; i < count; i++)
        {
            try
            {
                clients.Add(await TestClient.ConnectAsync(endPoint).WithTimeout("connect", TimeSpan.FromSeconds(5)));
            }
            catch (Exception e) when (e is SocketException or TimeoutException or OperationCanceledException)
            {
                break; // The backlog is full: enough.
            }
        }

        return clients;
    }

    /// <summary>A new client is echoed within the wait: descriptors freed up, accepting resumed.</summary>
    private static async Task EchoesAgainAsync(IPEndPoint endPoint)
    {
        var deadline = DateTime.UtcNow + Wait.Default;
        while (true)
        {
            try
            {
                using var client = await TestClient.ConnectAsync(endPoint).WithTimeout("connect", TimeSpan.FromSeconds(2));
                await client.SendAsync("again");
                Assert.Equal("again"u8.ToArray(), await client.ReceiveExactlyAsync(5).WithTimeout("echo", TimeSpan.FromSeconds(2)));
                return;
            }
            catch (Exception e) when (e is SocketException or TimeoutException or EndOfStreamException or OperationCanceledException && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }
}
