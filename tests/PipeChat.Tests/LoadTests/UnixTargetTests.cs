using PipeChat.LoadTests.Harness;
using PipeChat.LoadTests.Scenarios;
using PipeChat.LoadTests.Sockets;
using PipeChat.Servers;
using PipeChat.Tests.Support;

namespace PipeChat.Tests.LoadTests;

/// <summary>The harness loads a Unix socket server (<c>--target unix:PATH</c>, echo scenario).</summary>
[Collection(LoadTestsSerial.Name)]
public sealed class UnixTargetTests : IDisposable
{
    private static readonly RunOptions Quiet = new() { Progress = ProgressMode.Off, ReportingInterval = TimeSpan.FromMilliseconds(500) };

    private readonly string _path = TestServers.UnixPath();

    public void Dispose() => File.Delete(_path);

    [Theory]
    [InlineData(ConnectionModel.Async)]
    [InlineData(ConnectionModel.Threads)]
    public async Task Echo_scenario_loads_a_unix_socket_without_errors(ConnectionModel model)
    {
        await using var server = TestServers.StartUnix(new TcpModel(model), _path);
        var settings = new ScenarioSettings
        {
            UnixTarget = _path,
            Connections = 10,
            Duration = TimeSpan.FromSeconds(1),
            WarmUp = TimeSpan.FromMilliseconds(200),
            OperationTimeout = TimeSpan.FromSeconds(10),
        };
        var scenario = ScenarioCatalog.Create("echo", settings);
        Assert.Equal("unix:" + _path, scenario.Settings["target"]);
        var stats = await ScenarioRunner.RunAsync(scenario, Quiet);
        Assert.True(stats.Failed == 0, "failures: " + string.Join(", ", stats.Errors.Select(e => $"{e.Key}={e.Value}")));
        Assert.True(stats.Ok > 0, "no successful requests");
        Assert.Equal(10, stats.Connections);
    }

    [Fact]
    public void Targets_parse_as_unix_paths_or_loopback_addresses()
    {
        Assert.Equal("/run/x.sock", TargetEndpoint.ParseAny("unix:/run/x.sock").ToString());
        Assert.Equal("127.0.0.1:7007", TargetEndpoint.ParseAny("127.0.0.1:7007").ToString());
        Assert.Throws<FormatException>(() => TargetEndpoint.ParseAny("unix:"));
        Assert.Throws<FormatException>(() => TargetEndpoint.ParseAny("10.0.0.1:7007"));
        Assert.Throws<ArgumentException>(() => ScenarioCatalog.Create("chat", new ScenarioSettings { UnixTarget = "/tmp/x.sock" }));
    }
}
