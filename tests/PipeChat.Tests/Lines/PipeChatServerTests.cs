using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PipeChat.Hosting;
using PipeChat.Tests.Support;

namespace PipeChat.Tests.Lines;

/// <summary>The library's face: the command line of a library-built server, and the Generic Host registration.</summary>
public sealed class PipeChatServerTests
{
    private static readonly ProtocolKind Reverse = PipeChatServer.Create(new ReverseProtocol()).WithDefaultPort(7100).ToProtocolKind();

    [Fact]
    public void The_command_line_takes_the_server_options_that_apply_to_the_protocol()
    {
        var values = ServerArguments.Parse(["--port", "0", "--model=threads", "--max-connections", "5"], Reverse);
        Assert.Equal("0", values["PipeChat:Port"]);
        Assert.Equal("threads", values["PipeChat:Model"]);
        Assert.Equal("5", values["PipeChat:MaxConnections"]);
        Assert.Equal("reverse", Reverse.Name);
        Assert.Equal(7100, Reverse.DefaultPort);
    }

    [Fact]
    public void Unknown_options_chat_options_and_missing_values_are_usage_errors()
    {
        Assert.Contains("'--bogus'", Assert.Throws<UsageException>(() => ServerArguments.Parse(["--bogus"], Reverse)).Message, StringComparison.Ordinal);
        Assert.Throws<UsageException>(() => ServerArguments.Parse(["--max-line", "10"], Reverse));
        Assert.Equal("--port needs a value", Assert.Throws<UsageException>(() => ServerArguments.Parse(["--port"], Reverse)).Message);
    }

    [Fact]
    public async Task Help_lists_the_options_and_exits_0()
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        Assert.Equal(0, await PipeChatServer.Create(new ReverseProtocol()).WithDescription("Reverse each line.").RunAsync(["--help"], stdout, stderr));
        Assert.StartsWith("reverse: Reverse each line.", stdout.ToString(), StringComparison.Ordinal);
        Assert.Contains("--max-connections", stdout.ToString(), StringComparison.Ordinal);
        Assert.Equal(2, await PipeChatServer.Create(new ReverseProtocol()).RunAsync(["--nope"], stdout, stderr));
        Assert.Contains("reverse: unrecognized argument '--nope'", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_names_the_protocols_own_port_and_offers_no_udp_without_a_udp_form()
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        Assert.Equal(0, await PipeChatServer.Create(new ReverseProtocol()).WithDefaultPort(7100).RunAsync(["--help"], stdout, stderr));
        Assert.Contains("Port (default 7100; 0 lets the OS pick).", stdout.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("--udp", stdout.ToString(), StringComparison.Ordinal);
        Assert.Contains("'--udp'", Assert.Throws<UsageException>(() => ServerArguments.Parse(["--udp"], Reverse)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_names_the_models_the_protocol_runs_on()
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        Assert.Equal(0, await PipeChatServer.Create(new ReverseProtocol()).RunAsync(["--help"], stdout, stderr));
        Assert.Contains("Connection model: async (default), threads or iterative.", stdout.ToString(), StringComparison.Ordinal);
        var model = ServerOptions.All.Single(o => o.Name == "--model");
        Assert.Equal("Connection model: async (default) or threads.", model.DescriptionFor(ProtocolKind.Chat));
        Assert.Equal("Connection model: async (default), threads or iterative.", model.DescriptionFor(ProtocolKind.Echo));
    }

    [Fact]
    public async Task Errors_from_the_host_carry_the_protocols_name()
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        Assert.Equal(2, await PipeChatServer.Create(new ReverseProtocol()).RunAsync(["--port", "abc"], stdout, stderr));
        Assert.StartsWith("reverse: invalid value 'abc' for --port", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_generic_host_waits_long_enough_for_the_drain()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["PipeChat:ShutdownTimeout"] = "30" });
        builder.Services.AddPipeChatServer(new ReverseProtocol(), defaultPort: 7100);
        using var host = builder.Build();
        var options = host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<HostOptions>>().Value;
        Assert.Equal(TimeSpan.FromSeconds(40), options.ShutdownTimeout);
    }

    [Fact]
    public async Task A_generic_host_serves_the_protocol_from_its_PipeChat_section()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["PipeChat:Port"] = "0",
            ["PipeChat:Model"] = "threads",
        });
        builder.Services.AddPipeChatServer(new ReverseProtocol(), defaultPort: 7100);
        using var host = builder.Build();
        using var cts = new CancellationTokenSource(Wait.Default);
        await host.StartAsync(cts.Token);
        try
        {
            var service = host.Services.GetServices<IHostedService>().OfType<ServerHostedService>().Single();
            Assert.IsType<PipeChat.Servers.ThreadedTcpServer>(service.Server);
            using var client = await TestClient.ConnectAsync(service.Server!.LocalEndPoint);
            await client.SendAsync("hosted\nquit\n");
            Assert.Equal("detsoh\nbye\n", Encoding.ASCII.GetString(await client.ReceiveToEndAsync()));
        }
        finally
        {
            await host.StopAsync(cts.Token);
        }
    }
}
