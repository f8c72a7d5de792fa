using PipeChat.LoadTests.Cli;

namespace PipeChat.Tests.LoadTests;

[Collection(LoadTestsSerial.Name)]
public sealed class CliTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "pipechat-cli-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("run", "--conns", "0")]
    [InlineData("run", "--conns", "many")]
    [InlineData("run", "--duration", "10parsecs")]
    [InlineData("run", "--target", "10.0.0.1:7007")]
    [InlineData("run", "--scenario", "nope")]
    [InlineData("run", "--threshold", "p99 <")]
    [InlineData("run", "--unknown")]
    [InlineData("compare", "--conns", "1,x")]
    [InlineData("compare", "--models", "async,fibers")]
    [InlineData("run", "--scenario", "flood", "--flood-kind", "bogus")]
    [InlineData("run", "--scenario", "storm", "--protocol", "udp")]
    [InlineData("run", "--scenario", "slowloris", "--trickle-interval", "0s")]
    [InlineData("run", "--scenario", "chat", "--target", "unix:/tmp/pipechat-cli-none.sock")]
    [InlineData("bogus")]
    public async Task Usage_errors_exit_2_with_a_message(params string[] args)
    {
        var (code, _, err) = await RunAsync(args);
        Assert.Equal(2, code);
        Assert.StartsWith("error: ", err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_writes_reports_and_exits_0_when_thresholds_hold()
    {
        await using var server = new LoopbackEchoServer();
        var (code, output, err) = await RunAsync(
            "run", "--scenario", "echo", "--target", server.EndPoint.ToString(), "--conns", "4", "--duration", "1s", "--warmup", "200ms",
            "--threshold", "fail rate = 0", "--threshold", "rps > 1", "--progress", "off", "--out", _dir);

        Assert.True(code == 0, output + err);
        Assert.Contains("threshold fail rate = 0: actual 0", output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(_dir, "run-echo.md")));
        Assert.True(File.Exists(Path.Combine(_dir, "run-echo.csv")));
        Assert.True(File.Exists(Path.Combine(_dir, "run-echo.html")));
    }

    [Fact]
    public async Task A_broken_threshold_exits_1()
    {
        await using var server = new LoopbackEchoServer();
        var (code, output, _) = await RunAsync(
            "run", "--target", server.EndPoint.ToString(), "--conns", "2", "--duration", "500ms", "--warmup", "0s",
            "--threshold", "rps > 100M", "--progress", "off", "--out", _dir);

        Assert.Equal(1, code);
        Assert.Contains("BROKEN", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_target_exits_1_with_one_line()
    {
        int port;
        using (var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        }

        var (code, _, err) = await RunAsync("run", "--target", $"127.0.0.1:{port}", "--duration", "1s", "--progress", "off", "--out", _dir);
        Assert.Equal(1, code);
        Assert.StartsWith("error: cannot connect", err, StringComparison.Ordinal);
    }

    /// <summary>Runs the load harness's command line in-process, bounded to a minute.</summary>
    internal static async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        int code = await LoadTestCli.RunAsync(args, stdout, stderr, timeout.Token);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
