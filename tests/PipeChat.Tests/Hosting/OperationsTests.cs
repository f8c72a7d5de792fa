using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using PipeChat.Tests.Support;

namespace PipeChat.Tests.Hosting;

/// <summary>What an operator relies on: /metrics, /healthz, systemd readiness, JSON logs.</summary>
public class OperationsTests
{
    private static string Reason(string tags, string reason) => tags[..^1] + $",reason=\"{reason}\"}}";

    private static double Delta(Dictionary<string, double> before, Dictionary<string, double> after, string name) =>
        after.GetValueOrDefault(name) - before.GetValueOrDefault(name);

    [Fact]
    public async Task Metrics_count_an_echo_exchange_exactly()
    {
        using var cli = CliProcess.Start("echo --port 0 --metrics-port 0");
        var endPoint = await cli.ReadyAsync();
        var port = await MetricsScrape.PortAsync(cli);
        const string tags = "{model=\"async\",protocol=\"echo\",transport=\"tcp\"}";
        var before = await MetricsScrape.ScrapeAsync(port);

        using (var client = await TestClient.ConnectAsync(endPoint))
        {
            for (var i = 0; i < 3; i++)
            {
                await client.SendAsync("ping!");
                await client.ReceiveExactlyAsync(5);
            }

            var during = await MetricsScrape.ScrapeAsync(port);
            Assert.Equal(1, during["pipechat_connections_active" + tags]);
        }

        await Wait.UntilAsync(() => MetricsScrape.ScrapeAsync(port).Result.GetValueOrDefault("pipechat_connections_active" + tags) == 0, "connection closed");
        var after = await MetricsScrape.ScrapeAsync(port);
        Assert.Equal(1, Delta(before, after, "pipechat_connections_accepted_total" + tags));
        Assert.Equal(15, Delta(before, after, "pipechat_bytes_received_total" + tags));
        Assert.Equal(15, Delta(before, after, "pipechat_bytes_sent_total" + tags));
        Assert.Equal(3, Delta(before, after, "pipechat_echo_messages_total" + tags));
        Assert.Equal(0, Delta(before, after, "pipechat_connections_rejected_total" + Reason(tags, "max-connections")));
        Assert.Equal(0, Delta(before, after, "pipechat_connections_rejected_total" + Reason(tags, "per-ip")));

        Assert.Equal("ok\n", await MetricsScrape.GetAsync(port, "/healthz"));
        cli.Signal("TERM");
        Assert.Equal(0, await cli.ExitCodeAsync());
    }

    [Theory]
    [InlineData("--metrics-host ::1")]
    [InlineData("--host ::1")]
    public async Task Metrics_on_an_ipv6_address_other_than_any_is_exit_1_saying_why(string hostOption)
    {
        // The runtime's HTTP listener outside Windows cannot listen on an IPv6 literal: say so, not "invalid port".
        using var cli = CliProcess.Start($"echo --port 0 --metrics-port 0 {hostOption}");

        Assert.Equal(1, await cli.ExitCodeAsync());
        var line = Assert.Single(cli.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("cannot listen on http://[::1]:", line, StringComparison.Ordinal);
        Assert.Contains("other than :: is not supported", line, StringComparison.Ordinal);
        Assert.Empty(cli.Stdout);
    }

    [Fact]
    public async Task Metrics_count_chat_lines_relayed_and_rejected_connections()
    {
        using var cli = CliProcess.Start("chat --model threads --port 0 --metrics-port 0 --max-connections 2");
        var endPoint = await cli.ReadyAsync();
        var port = await MetricsScrape.PortAsync(cli);
        const string tags = "{model=\"threads\",protocol=\"chat\",transport=\"tcp\"}";
        var before = await MetricsScrape.ScrapeAsync(port);

        using var alice = await TestClient.ConnectAsync(endPoint);
        using var bob = await TestClient.ConnectAsync(endPoint);
        await ReadLineAsync(alice); // * welcome user1
        await ReadLineAsync(bob);   // * welcome user2
        await ReadLineAsync(alice); // * user2 joined
        using (var third = await TestClient.ConnectAsync(endPoint))
        {
            Assert.True(await third.IsClosedByServerAsync());
        }

        await alice.SendAsync("one\ntwo\n");
        Assert.Equal("<user1> one", await ReadLineAsync(bob));
        Assert.Equal("<user1> two", await ReadLineAsync(bob));

        var after = await MetricsScrape.ScrapeAsync(port);
        Assert.Equal(2, Delta(before, after, "pipechat_chat_lines_relayed_total" + tags));
        Assert.Equal(1, Delta(before, after, "pipechat_connections_rejected_total" + Reason(tags, "max-connections")));
        Assert.Equal(0, Delta(before, after, "pipechat_connections_rejected_total" + Reason(tags, "per-ip")));
        Assert.True(after.ContainsKey("pipechat_connections_rejected_total" + Reason(tags, "per-ip")), "a per-ip series");
        Assert.True(after.ContainsKey("pipechat_accept_backoff_total" + tags), "an accept back-off series");
        Assert.Equal(2, after["pipechat_connections_active" + tags]);
        cli.Signal("TERM");
        Assert.Equal(0, await cli.ExitCodeAsync());
    }

    [Fact]
    public async Task Systemd_readiness_is_notified_once_listening_and_stopping_on_shutdown()
    {
        var path = Path.Combine(Path.GetTempPath(), $"pipechat-notify-{Guid.NewGuid():N}.sock");
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(path));
        try
        {
            using var cli = CliProcess.Start("echo --port 0", new Dictionary<string, string> { ["NOTIFY_SOCKET"] = path });
            var ready = await ReceiveNotifyAsync(notify);
            Assert.Contains("READY=1", ready, StringComparison.Ordinal);

            // READY came after the port listens: a connection works right away.
            var endPoint = await cli.ReadyAsync();
            using (var client = await TestClient.ConnectAsync(endPoint))
            {
                await client.SendAsync("x");
                await client.ReceiveExactlyAsync(1);
            }

            cli.Signal("TERM");
            Assert.Contains("STOPPING=1", await ReceiveNotifyAsync(notify), StringComparison.Ordinal);
            Assert.Equal(0, await cli.ExitCodeAsync());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Json_log_format_writes_one_json_object_per_line_on_stderr()
    {
        using var cli = CliProcess.Start("echo --port 0 --metrics-port 0 --log-format json");
        await cli.ReadyAsync();
        await Wait.UntilAsync(() => cli.Stderr.Contains("metrics at", StringComparison.Ordinal), "a log line");
        cli.Signal("TERM");
        Assert.Equal(0, await cli.ExitCodeAsync());

        var lines = cli.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(lines);
        foreach (var line in lines)
        {
            using var json = JsonDocument.Parse(line);
            Assert.True(json.RootElement.TryGetProperty("LogLevel", out _), line);
        }
    }

    private static async Task<string> ReceiveNotifyAsync(Socket socket)
    {
        var buffer = new byte[1024];
        using var timeout = new CancellationTokenSource(Wait.Default);
        var count = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
        return Encoding.UTF8.GetString(buffer, 0, count);
    }

    private static async Task<string> ReadLineAsync(TestClient client)
    {
        var line = new List<byte>();
        while (true)
        {
            var b = (await client.ReceiveExactlyAsync(1))[0];
            if (b == '\n')
            {
                return Encoding.UTF8.GetString([.. line]);
            }

            line.Add(b);
        }
    }
}
