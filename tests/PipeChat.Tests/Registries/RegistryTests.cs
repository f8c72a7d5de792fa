using System.Diagnostics.Metrics;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using PipeChat.Diagnostics;
using PipeChat.Hosting;
using PipeChat.Servers;
using PipeChat.Tests.Support;

namespace PipeChat.Tests.Registries;

/// <summary>
/// A new protocol and a new model are one file and one registration each: here both are added
/// (to copies of the registries, so other tests see only the built-ins), resolved from
/// configuration like any other, and serve a line over a real socket.
/// </summary>
public sealed class RegistryTests
{
    private static readonly ProtocolKind Upper = new(
        "upper",
        "Upper-case every ASCII letter.",
        7100,
        static (_, _) => new StreamService(new UpperProtocol()));

    private static readonly ServerModel Pool = new("pool", static (settings, protocol, logger) => new PoolTcpServer(settings, protocol, logger));

    [Fact]
    public async Task A_registered_protocol_on_a_registered_model_serves_a_line()
    {
        var protocols = ProtocolRegistry.Default.Copy().Register(Upper);
        var models = ModelRegistry.Default.Copy().Register(Pool);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [OptionsResolver.Section + ":Model"] = "pool",
            [OptionsResolver.Section + ":Port"] = "0",
        }).Build();

        var options = OptionsResolver.Resolve(protocols.Find("upper")!, configuration, warnings: null, models);
        Assert.Same(Pool, options.Model);

        var built = ServerFactory.Create(options, NullLoggerFactory.Instance);
        await using var server = built.Server;
        Assert.IsType<PoolTcpServer>(server);
        Assert.Equal("upper", built.Metrics.Protocol);
        server.Start();

        using var client = await TestClient.ConnectAsync(server.LocalEndPoint);
        await client.SendAsync(Encoding.ASCII.GetBytes("hello, pipe 7\n"));
        Assert.Equal("HELLO, PIPE 7\n", Encoding.ASCII.GetString(await client.ReceiveExactlyAsync(14)));
    }

    [Fact]
    public void The_defaults_hold_the_built_ins_and_a_copy_leaves_them_alone()
    {
        Assert.Equal(["echo", "chat"], ProtocolRegistry.Default.All.Select(p => p.Name));
        Assert.Equal(["async", "threads", "iterative"], ModelRegistry.Default.All.Select(m => m.Name));
        ProtocolRegistry.Default.Copy().Register(Upper);
        ModelRegistry.Default.Copy().Register(Pool);
        Assert.Null(ProtocolRegistry.Default.Find("upper"));
        Assert.Null(ModelRegistry.Default.Find("pool"));
        Assert.Throws<ArgumentException>(() => ModelRegistry.Default.Copy().Register(Pool with { Name = "ASYNC" }));
    }

    [Fact]
    public void A_protocol_excluding_a_model_says_which_models_it_runs_on()
    {
        var models = ModelRegistry.Default.Copy().Register(Pool);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [OptionsResolver.Section + ":Model"] = "iterative",
        }).Build();

        var error = Assert.Throws<UsageException>(() => OptionsResolver.Resolve(ProtocolKind.Chat, configuration, warnings: null, models));
        Assert.Equal("--model iterative is not available for chat (use async, threads or pool): one member at a time cannot chat", error.Message);
    }

    [Fact]
    public async Task A_registered_protocol_publishes_its_own_counters_under_the_server_tags()
    {
        long upperLines = 7;
        var counted = Upper with
        {
            CreateStream = (_, _) => new StreamService(new UpperProtocol(), [new("pipechat.upper.lines", IsGauge: false, "{line}", "Upper: lines upper-cased", () => upperLines)]),
        };
        var options = OptionsResolver.Resolve(counted, new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [OptionsResolver.Section + ":Port"] = "0",
        }).Build());
        var built = ServerFactory.Create(options, NullLoggerFactory.Instance);
        await using var server = built.Server;
        using var listener = new MeterListener();
        var seen = new List<(long Value, string? Protocol)>();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == PipeChatMetrics.MeterName && instrument.Name == "pipechat.upper.lines")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "protocol" && (string?)tag.Value == "upper")
                {
                    seen.Add((value, "upper"));
                }
            }
        });
        listener.Start();

        using (PipeChatMetrics.Register(built.Metrics))
        {
            Assert.Contains(PipeChatMetrics.Definitions, d => d.Name == "pipechat.upper.lines");
            listener.RecordObservableInstruments();
            upperLines = 9;
            listener.RecordObservableInstruments();
        }

        listener.RecordObservableInstruments();
        Assert.Equal([7L, 9L], seen.Select(s => s.Value));

        // one name, one meaning: a gauge cannot take a counter's name
        var clash = built.Metrics with { Counters = [new("pipechat.upper.lines", IsGauge: true, "{line}", "clash", () => 0)] };
        Assert.Throws<ArgumentException>(() => PipeChatMetrics.Register(clash));
    }
}
