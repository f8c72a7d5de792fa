using PipeChat.LoadTests.Harness;
using PipeChat.LoadTests.Scenarios;
using PipeChat.LoadTests.Sockets;
using PipeChat.Protocols.Chat;
using PipeChat.Servers;
using PipeChat.Tests.Support;

namespace PipeChat.Tests.LoadTests;

/// <summary>The harness's --tls: echo and chat scenarios against a real PipeChat TLS server, verified with the test CA.</summary>
[Collection(LoadTestsSerial.Name)]
public sealed class TlsScenarioTests : IDisposable
{
    private static readonly RunOptions Quiet = new() { Progress = ProgressMode.Off, ReportingInterval = TimeSpan.FromMilliseconds(500) };
    private readonly TestTls.CertificateFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public async Task Echo_over_tls_has_no_failures()
    {
        var layer = TestTls.Layer(_files);
        await using var server = TestTls.StartTcp(new TcpModel(ConnectionModel.Async), layer);
        var stats = await ScenarioRunner.RunAsync(ScenarioCatalog.Create("echo", Settings(server.LocalEndPoint, 8)), Quiet);
        Assert.True(stats.Failed == 0, "failures: " + string.Join(", ", stats.Errors.Select(e => $"{e.Key}={e.Value}")));
        Assert.True(stats.Ok > 0);
        Assert.True(layer.Stats.Handshakes >= 8);
    }

    [Fact]
    public async Task Chat_over_tls_delivers_every_line()
    {
        using var protocol = new ChatProtocol(new ChatLimits());
        await using var server = TestTls.StartTcp(new TcpModel(ConnectionModel.Async), TestTls.Layer(_files), protocol);
        var stats = await ScenarioRunner.RunAsync(ScenarioCatalog.Create("chat", Settings(server.LocalEndPoint, 6) with { Publishers = 2, Rate = 20 }), Quiet);
        Assert.True(stats.Failed == 0, "failures: " + string.Join(", ", stats.Errors.Select(e => $"{e.Key}={e.Value}")));
        Assert.Equal(0, stats.Metrics["lost"]);
        Assert.Equal(stats.Metrics["expected_deliveries"], stats.Metrics["delivered"]);
        Assert.True(stats.Metrics["delivered"] > 0);
    }

    private ScenarioSettings Settings(System.Net.IPEndPoint target, int connections) => new()
    {
        Target = target,
        Connections = connections,
        Duration = TimeSpan.FromSeconds(1),
        WarmUp = TimeSpan.FromMilliseconds(200),
        OperationTimeout = TimeSpan.FromSeconds(5),
        Tls = new TlsSettings { CaFile = _files.CertificatePath },
    };
}
