using PipeChat.Tests.Support;

namespace PipeChat.Tests.Chat.Integration;

/// <summary>
/// docs/protocols.md (Robustness): every chat limit a member hits is counted in the metrics and logged at
/// information, through the real executable, in every model.
/// </summary>
public class ChatLimitMetricsTests
{
    public static TheoryData<string> Models() => new("async", "threads");

    [Theory]
    [MemberData(nameof(Models))]
    public async Task A_line_over_max_line_is_counted_and_logged(string model)
    {
        using var cli = CliProcess.Start($"chat --model {model} --port 0 --metrics-port 0 --max-line 10");
        var endPoint = await cli.ReadyAsync();
        var port = await MetricsScrape.PortAsync(cli);
        var series = $"pipechat_chat_lines_too_long_total{{model=\"{model}\",protocol=\"chat\",transport=\"tcp\"}}";

        using var member = await ChatTestClient.JoinAsync(endPoint);
        await member.SendLineAsync("12345678901");
        await member.ExpectAsync("! line too long");

        await Wait.UntilAsync(() => MetricsScrape.ScrapeAsync(port).Result.GetValueOrDefault(series) == 1, series + " = 1");
        await Wait.UntilAsync(() => cli.Stderr.Contains("limit hit: max line", StringComparison.Ordinal), "the limit logged");
        cli.Signal("TERM");
        Assert.Equal(0, await cli.ExitCodeAsync());
    }

    [Theory]
    [MemberData(nameof(Models))]
    public async Task Udp_server_full_line_too_long_and_idle_drops_are_counted_and_logged(string model)
    {
        using var cli = CliProcess.Start($"chat --udp --model {model} --port 0 --metrics-port 0 --max-connections 1 --max-line 10 --idle-timeout 3");
        var endPoint = await cli.ReadyAsync();
        var port = await MetricsScrape.PortAsync(cli);
        var tags = $"{{model=\"{model}\",protocol=\"chat\",transport=\"udp\"}}";

        using var member = new UdpChatTestClient(endPoint);
        using var late = new UdpChatTestClient(endPoint);
        await member.RegisterAsync();
        await late.SendAsync("#REG late");
        await late.ExpectAsync("! server full");
        await member.SendAsync("12345678901");
        await member.ExpectAsync("! line too long");

        // Then the member stays silent and its registration is dropped.
        await Wait.UntilAsync(() => MetricsScrape.ScrapeAsync(port).Result.GetValueOrDefault("pipechat_udp_registrations" + tags) == 0, "the idle member dropped");
        var metrics = await MetricsScrape.ScrapeAsync(port);
        Assert.Equal(1, metrics.GetValueOrDefault("pipechat_udp_registrations_refused_total" + tags));
        Assert.Equal(1, metrics.GetValueOrDefault("pipechat_chat_lines_too_long_total" + tags));
        Assert.Equal(1, metrics.GetValueOrDefault("pipechat_udp_idle_timeouts_total" + tags));
        foreach (var limit in new[] { "limit hit: max-connections", "limit hit: max line", "limit hit: idle timeout" })
        {
            await Wait.UntilAsync(() => cli.Stderr.Contains(limit, StringComparison.Ordinal), limit + " logged");
        }

        cli.Signal("TERM");
        Assert.Equal(0, await cli.ExitCodeAsync());
    }
}
