using PipeChat.Tests.Support;

namespace PipeChat.Tests.Cluster;

/// <summary>
/// Real <c>pipechat chat --cluster</c> processes over this class's own nats-server: a node killed with SIGKILL,
/// a node stopped with SIGTERM, and the command line's errors. Honours PIPECHAT_CLI (the native build).
/// </summary>
public sealed partial class ClusterCliTests(NatsServer nats) : IClassFixture<NatsServer>
{
    [NatsFact]
    public async Task A_killed_node_has_its_members_announced_as_left_within_15_s_and_its_names_freed_and_a_stopped_one_at_once()
    {
        string args = $"chat --port 0 --cluster {nats.Url} --cluster-name kill";
        using var a = CliProcess.Start(args);
        using var b = CliProcess.Start(args);
        using var c = CliProcess.Start(args);
        var endPoints = await Task.WhenAll(a.ReadyAsync(), b.ReadyAsync(), c.ReadyAsync());
        using var watcher = await ChatTestClient.JoinAsync(endPoints[0]);
        using var victim = await ChatTestClient.JoinAsync(endPoints[1]);
        using var polite = await ChatTestClient.JoinAsync(endPoints[2]);
        await victim.SendLineAsync("/nick bob");
        await victim.SkipUntilAsync("* you are now bob");
        await watcher.SkipUntilAsync($"* {victim.Name} is now bob");

        polite.Client.Socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
        await watcher.SkipUntilAsync($"* {polite.Name} left");
        using var polite2 = await ChatTestClient.JoinAsync(endPoints[2]);
        await watcher.SkipUntilAsync($"* {polite2.Name} joined");
        var stopped = DateTime.UtcNow;
        c.Signal("TERM");
        await watcher.SkipUntilAsync($"* {polite2.Name} left");
        Assert.True(DateTime.UtcNow - stopped < TimeSpan.FromSeconds(4), "a graceful stop is announced at once, not after the dead-node timeout");
        Assert.Equal(0, await c.ExitCodeAsync());

        var killed = DateTime.UtcNow;
        b.Signal("KILL");
        await watcher.SkipUntilAsync("* bob left");
        Assert.True(DateTime.UtcNow - killed < TimeSpan.FromSeconds(15), "announced within 15 s");

        // The name is free again (the sweep may trail the announcement by a moment).
        while (true)
        {
            await watcher.SendLineAsync("/nick bob");
            var reply = await watcher.ReadLineAsync();
            while (!reply.StartsWith("* you are now", StringComparison.Ordinal) && !reply.StartsWith("! name", StringComparison.Ordinal))
            {
                reply = await watcher.ReadLineAsync();
            }

            if (reply == "* you are now bob")
            {
                break;
            }

            Assert.Equal("! name bob is taken", reply);
            Assert.True(DateTime.UtcNow - killed < TimeSpan.FromSeconds(15), "bob freed within 15 s");
            await Task.Delay(100);
        }
    }

    [NatsFact]
    public async Task Metrics_and_healthz_report_the_link_and_the_lines_between_nodes()
    {
        string args = $"chat --port 0 --cluster {nats.Url} --cluster-name metrics";
        using var a = CliProcess.Start(args + " --metrics-port 0");
        using var b = CliProcess.Start(args);
        var endPoints = await Task.WhenAll(a.ReadyAsync(), b.ReadyAsync());
        var port = await MetricsScrape.PortAsync(a);
        using var talker = await ChatTestClient.JoinAsync(endPoints[0]);
        using var listener = await ChatTestClient.JoinAsync(endPoints[1]);
        await talker.SkipUntilAsync($"* {listener.Name} joined");
        await talker.SendLineAsync("over the link");
        await listener.SkipUntilAsync($"<{talker.Name}> over the link");

        const string tags = "{model=\"async\",protocol=\"chat\",transport=\"tcp\"}";
        Dictionary<string, double> metrics = [];
        await Wait.UntilAsync(
            () =>
            {
                metrics = MetricsScrape.ScrapeAsync(port).Result;
                return metrics.GetValueOrDefault("pipechat_cluster_remote_members" + tags) == 1;
            },
            "the other node's member counted",
            TimeSpan.FromSeconds(10));
        Assert.Equal(1, metrics["pipechat_cluster_linked" + tags]);
        Assert.Equal(1, metrics["pipechat_cluster_lines_out_total" + tags]);
        Assert.Equal(0, metrics["pipechat_cluster_lines_in_total" + tags]);
        Assert.Equal(0, metrics["pipechat_cluster_lines_dropped_total" + tags]);
        Assert.Equal(0, metrics["pipechat_cluster_gaps_total" + tags]);
        Assert.Equal(0, metrics["pipechat_cluster_name_conflicts_total" + tags]);
        Assert.Equal(0, metrics["pipechat_cluster_names_numbered_locally_total" + tags]);
        Assert.Equal("ok\ncluster linked\n", await MetricsScrape.GetAsync(port, "/healthz"));
    }

    [Fact]
    public async Task An_unreachable_nats_server_is_exit_1_naming_the_url()
    {
        using var server = CliProcess.Start("chat --port 0 --cluster nats://127.0.0.1:1");
        Assert.Equal(1, await server.ExitCodeAsync());
        Assert.Contains("nats://127.0.0.1:1", server.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", server.Stderr, StringComparison.Ordinal);
        Assert.Equal(string.Empty, server.Stdout);
    }
}
