using System.Globalization;
using PipeChat.Tests.Support;

namespace PipeChat.Tests.Tls;

/// <summary>`pipechat` over TLS as a process: ready line, clients with --tls, SIGHUP reload, usage errors, metrics.</summary>
public sealed partial class TlsCliTests : IDisposable
{
    private readonly TestTls.CertificateFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Theory]
    [InlineData("echo", "async")]
    [InlineData("echo", "threads")]
    [InlineData("echo", "iterative")]
    [InlineData("chat", "async")]
    public async Task Serves_tls_with_a_tls_ready_line_and_exits_0(string protocol, string model)
    {
        using var cli = CliProcess.Start($"{protocol} --model {model} --port 0 --tls-cert \"{_files.CertificatePath}\" --tls-key \"{_files.KeyPath}\"");
        var endPoint = await cli.ReadyAsync();
        Assert.Contains($"listening on tls://{endPoint}", cli.Stdout, StringComparison.Ordinal);
        await using (var client = await TestTls.Client.ConnectAsync(endPoint))
        {
            Assert.Equal(_files.Thumbprint, client.Thumbprint);
            if (protocol == "echo")
            {
                await client.SendAsync("ping\n");
                Assert.Equal("ping\n"u8.ToArray(), await client.ReceiveExactlyAsync(5));
            }
            else
            {
                await client.ReadLineUntilAsync(l => l.StartsWith("* welcome ", StringComparison.Ordinal));
            }
        }

        cli.Signal("TERM");
        Assert.Equal(0, await cli.ExitCodeAsync());
    }

    [Fact]
    public async Task Sighup_reloads_the_certificate_and_a_bad_file_keeps_the_old_one()
    {
        using var cli = CliProcess.Start($"echo --port 0 --tls-cert \"{_files.CertificatePath}\" --tls-key \"{_files.KeyPath}\"");
        var endPoint = await cli.ReadyAsync();
        var first = _files.Thumbprint;
        await using var open = await TestTls.Client.ConnectAsync(endPoint);
        Assert.Equal(first, open.Thumbprint);

        _files.Write("renewed");
        var second = _files.Thumbprint;
        cli.Signal("HUP");
        await Wait.UntilAsync(() => cli.Stderr.Contains("TLS certificate reloaded", StringComparison.Ordinal), "reload logged");
        await using (var fresh = await TestTls.Client.ConnectAsync(endPoint))
        {
            Assert.Equal(second, fresh.Thumbprint);
        }

        // The connection opened before the reload goes on with its certificate.
        await open.SendAsync("still\n");
        Assert.Equal("still\n"u8.ToArray(), await open.ReceiveExactlyAsync(6));

        await File.WriteAllTextAsync(_files.CertificatePath, "garbage");
        cli.Signal("HUP");
        await Wait.UntilAsync(() => cli.Stderr.Contains("TLS certificate reload failed", StringComparison.Ordinal), "failed reload logged");
        Assert.Contains(_files.CertificatePath, cli.Stderr, StringComparison.Ordinal);
        Assert.False(cli.HasExited);
        await using (var after = await TestTls.Client.ConnectAsync(endPoint))
        {
            Assert.Equal(second, after.Thumbprint);
        }

        cli.Signal("TERM");
        Assert.Equal(0, await cli.ExitCodeAsync());
    }

    [Theory]
    [InlineData("echo --port 0")]
    [InlineData("chat --port 0")]
    [InlineData("chat --udp --port 0")]
    public async Task Sighup_without_tls_changes_nothing_and_the_process_keeps_running(string arguments)
    {
        using var cli = CliProcess.Start(arguments);
        var endPoint = await cli.ReadyAsync();
        cli.Signal("HUP");

        // Served after the signal (it is pending from kill on), then a graceful exit: SIGHUP did not end it.
        if (arguments.Contains("--udp", StringComparison.Ordinal))
        {
            using var udp = new System.Net.Sockets.UdpClient(endPoint.AddressFamily);
            await udp.SendAsync("#REG"u8.ToArray(), endPoint);
            using var cts = new CancellationTokenSource(Wait.Default);
            var reply = await udp.ReceiveAsync(cts.Token);
            Assert.StartsWith("* registered ", System.Text.Encoding.UTF8.GetString(reply.Buffer), StringComparison.Ordinal);
        }
        else
        {
            using var client = await TestClient.ConnectAsync(endPoint);
            await client.SendAsync("ping\n");
            Assert.NotEmpty(await client.ReceiveExactlyAsync(5));
        }

        Assert.False(cli.HasExited);
        cli.Signal("TERM");
        Assert.Equal(0, await cli.ExitCodeAsync());
    }

    [Theory]
    [InlineData("echo", "--tls-cert {cert}", "--tls-cert needs --tls-key")]
    [InlineData("echo", "--tls-key {key}", "--tls-key needs --tls-cert")]
    [InlineData("echo", "--udp --tls-cert {cert} --tls-key {key}", "applies to TCP only")]
    [InlineData("chat", "--udp --tls-cert {cert} --tls-key {key}", "applies to TCP only")]
    public async Task Usage_errors_exit_2(string protocol, string arguments, string message)
    {
        using var cli = CliProcess.Start($"{protocol} --port 0 {Fill(arguments)}");
        Assert.Equal(2, await cli.ExitCodeAsync());
        Assert.Contains(message, cli.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_or_unparsable_file_exits_1_naming_it()
    {
        var missing = Path.Combine(_files.Folder, "nope.pem");
        using (var cli = CliProcess.Start($"echo --port 0 --tls-cert \"{missing}\" --tls-key \"{_files.KeyPath}\""))
        {
            Assert.Equal(1, await cli.ExitCodeAsync());
            Assert.Contains(missing, cli.Stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", cli.Stderr, StringComparison.Ordinal);
        }

        using (var cli = CliProcess.Start($"echo --port 0 --tls-cert \"{_files.CertificatePath}\" --tls-key \"{_files.CertificatePath}\""))
        {
            Assert.Equal(1, await cli.ExitCodeAsync());
            Assert.Contains($"TLS key {_files.CertificatePath}", cli.Stderr, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Clients_speak_tls_verifying_with_the_ca_file_or_not_at_all()
    {
        using var echo = CliProcess.Start($"echo --port 0 --tls-cert \"{_files.CertificatePath}\" --tls-key \"{_files.KeyPath}\"");
        var endPoint = await echo.ReadyAsync();

        using (var client = CliProcess.Start($"client echo {endPoint} --tls --tls-ca \"{_files.CertificatePath}\"", stdin: "hello\nworld\n"))
        {
            Assert.Equal(0, await client.ExitCodeAsync());
            Assert.Equal("hello\nworld\n", client.Stdout);
        }

        using (var client = CliProcess.Start($"client echo {endPoint} --tls --tls-insecure", stdin: "x\n"))
        {
            Assert.Equal(0, await client.ExitCodeAsync());
            Assert.Equal("x\n", client.Stdout);
        }

        // The system roots do not know the test certificate: verification fails, exit 1.
        using (var client = CliProcess.Start($"client echo {endPoint} --tls", stdin: "x\n"))
        {
            Assert.Equal(1, await client.ExitCodeAsync());
            Assert.Contains("TLS", client.Stderr, StringComparison.Ordinal);
        }

        using (var client = CliProcess.Start($"client echo {endPoint} --tls-insecure", stdin: "x\n"))
        {
            Assert.Equal(2, await client.ExitCodeAsync());
            Assert.Contains("--tls-insecure needs --tls", client.Stderr, StringComparison.Ordinal);
        }

        using var chat = CliProcess.Start($"chat --port 0 --tls-cert \"{_files.CertificatePath}\" --tls-key \"{_files.KeyPath}\"");
        var chatEndPoint = await chat.ReadyAsync();
        using (var client = CliProcess.Start($"client chat {chatEndPoint} --tls --tls-ca \"{_files.CertificatePath}\" --name alice", stdin: "hi\n/quit\n"))
        {
            Assert.Equal(0, await client.ExitCodeAsync());
            Assert.Contains("* welcome ", client.Stdout, StringComparison.Ordinal);
            Assert.Contains("* bye", client.Stdout, StringComparison.Ordinal);
        }

        echo.Signal("TERM");
        chat.Signal("TERM");
        Assert.Equal(0, await echo.ExitCodeAsync());
        Assert.Equal(0, await chat.ExitCodeAsync());
    }

    [Fact]
    public async Task Clients_verify_the_certificate_for_the_host_name_given()
    {
        // A certificate for the name localhost only, with no IP address in it.
        using var files = new TestTls.CertificateFiles("localhost", forAddress: false);
        using var echo = CliProcess.Start($"echo --port 0 --tls-cert \"{files.CertificatePath}\" --tls-key \"{files.KeyPath}\"");
        var port = (await echo.ReadyAsync()).Port;
        using (var client = CliProcess.Start($"client echo localhost:{port} --tls --tls-ca \"{files.CertificatePath}\"", stdin: "hello\n"))
        {
            Assert.Equal(0, await client.ExitCodeAsync());
            Assert.Equal("hello\n", client.Stdout);
        }

        // Given as an IP address, the same certificate does not match: verified for 127.0.0.1.
        using (var client = CliProcess.Start($"client echo 127.0.0.1:{port} --tls --tls-ca \"{files.CertificatePath}\"", stdin: "hello\n"))
        {
            Assert.Equal(1, await client.ExitCodeAsync());
            Assert.Contains("TLS", client.Stderr, StringComparison.Ordinal);
        }

        echo.Signal("TERM");
        Assert.Equal(0, await echo.ExitCodeAsync());
    }

    [Fact]
    public async Task Metrics_count_handshakes_and_failures()
    {
        using var cli = CliProcess.Start($"echo --port 0 --metrics-port 0 --tls-cert \"{_files.CertificatePath}\" --tls-key \"{_files.KeyPath}\"");
        var endPoint = await cli.ReadyAsync();
        await using (var client = await TestTls.Client.ConnectAsync(endPoint))
        {
            await client.SendAsync("a\n");
            await client.ReceiveExactlyAsync(2);
        }

        using (var plain = await TestClient.ConnectAsync(endPoint))
        {
            await plain.SendAsync("GET / HTTP/1.0\r\n\r\n");
        }

        await Wait.UntilAsync(() => MetricsUrl().IsMatch(cli.Stderr), "metrics endpoint logged");
        var url = MetricsUrl().Match(cli.Stderr).Value[("metrics at ".Length)..];
        using var http = new HttpClient();
        string text = "";
        await Wait.UntilAsync(() =>
        {
            text = http.GetStringAsync(url).GetAwaiter().GetResult();
            return text.Contains("pipechat_tls_handshake_failures_total{", StringComparison.Ordinal)
                && Value(text, "pipechat_tls_handshakes_total") == 1
                && Value(text, "pipechat_tls_handshake_failures_total", "reason=\"protocol\"") == 1;
        }, "TLS metrics");
        Assert.Equal(1, Value(text, "pipechat_tls_handshakes_within_total", "le=\"+Inf\""));
        cli.Signal("TERM");
        Assert.Equal(0, await cli.ExitCodeAsync());
    }

    private static double Value(string metrics, string name, string? label = null)
    {
        foreach (var line in metrics.Split('\n'))
        {
            if (line.StartsWith(name + "{", StringComparison.Ordinal) && (label is null || line.Contains(label, StringComparison.Ordinal)))
            {
                return double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
            }
        }

        return -1;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"metrics at http://[^:]+:\d+/metrics")]
    private static partial System.Text.RegularExpressions.Regex MetricsUrl();

    private string Fill(string arguments) =>
        arguments.Replace("{cert}", $"\"{_files.CertificatePath}\"", StringComparison.Ordinal).Replace("{key}", $"\"{_files.KeyPath}\"", StringComparison.Ordinal);
}
