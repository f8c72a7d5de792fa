using System.Net;
using Microsoft.Extensions.Configuration;
using PipeChat.Hosting;
using PipeChat.Tests.Support;

namespace PipeChat.Tests.Admission;

/// <summary>--max-connections-per-ip and --keepalive on the command line, and what the server logs at information.</summary>
public class AdmissionCliTests
{
    [Fact]
    public void Options_resolve_with_their_defaults_and_from_the_environment_names()
    {
        var defaults = Resolve();
        Assert.Equal(0, defaults.MaxConnectionsPerIp);
        Assert.Equal(TimeSpan.FromSeconds(60), defaults.Keepalive);

        var given = Resolve(("MaxConnectionsPerIp", "7"), ("Keepalive", "0"));
        Assert.Equal(7, given.MaxConnectionsPerIp);
        Assert.Equal(TimeSpan.Zero, given.Keepalive);

        Assert.Equal("PipeChat:MaxConnectionsPerIp", OptionsResolver.KeyForEnvironmentVariable("PIPECHAT_MAX_CONNECTIONS_PER_IP"));
        Assert.Equal("PipeChat:Keepalive", OptionsResolver.KeyForEnvironmentVariable("PIPECHAT_KEEPALIVE"));
    }

    [Fact]
    public async Task Start_refusals_by_reason_rate_limited_drain_and_stop_are_logged_at_information()
    {
        using var cli = CliProcess.Start("chat --port 0 --max-connections 2 --max-connections-per-ip 1 --shutdown-timeout 1");
        var endPoint = await cli.ReadyAsync();
        var a = await ChatTestClient.ConnectAsync(endPoint, from: IPAddress.Loopback);
        await a.ExpectAsync("* welcome user1");
        var b = await ChatTestClient.ConnectAsync(endPoint, from: IPAddress.Parse("127.0.0.2"));
        await b.ExpectAsync("* welcome user2");

        // A burst of refusals for each reason: each reason gets a line, not one line per refusal.
        const int Burst = 6;
        for (var i = 0; i < Burst; i++)
        {
            using var samePlace = await ChatTestClient.ConnectAsync(endPoint, from: IPAddress.Loopback);
            await samePlace.ExpectAsync("! server full");
            using var elsewhere = await ChatTestClient.ConnectAsync(endPoint, from: IPAddress.Parse("127.0.0.3"));
            await elsewhere.ExpectAsync("! server full");
        }

        await Wait.UntilAsync(() => Count(cli.Stderr, "refused: max-connections-per-ip reached") >= 1 && Count(cli.Stderr, "refused: max-connections reached") >= 1, "a refusal line per reason");
        Assert.InRange(Count(cli.Stderr, "refused: max-connections-per-ip reached"), 1, 3);
        Assert.InRange(Count(cli.Stderr, "refused: max-connections reached"), 1, 3);

        cli.Signal("TERM");
        Assert.Equal(0, await cli.ExitCodeAsync());
        a.Dispose();
        b.Dispose();
        var log = cli.Stderr;
        Assert.Contains("listening on tcp://", log, StringComparison.Ordinal);
        Assert.Contains("shutting down: accepting stopped, draining 2 connections", log, StringComparison.Ordinal);
        Assert.Contains("drained in", log, StringComparison.Ordinal);
        Assert.Contains("info: PipeChat.Host[14] stopped", log, StringComparison.Ordinal);
    }

    private static int Count(string text, string what)
    {
        var count = 0;
        for (var at = text.IndexOf(what, StringComparison.Ordinal); at >= 0; at = text.IndexOf(what, at + what.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    private static PipeChatOptions Resolve(params (string Key, string Value)[] values) =>
        OptionsResolver.Resolve(ProtocolKind.Echo, new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>("PipeChat:" + v.Key, v.Value)))
            .Build());
}
