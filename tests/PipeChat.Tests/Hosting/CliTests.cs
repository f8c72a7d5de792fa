using System.Net;
using System.Net.Sockets;
using PipeChat.Tests.Support;

namespace PipeChat.Tests.Hosting;

/// <summary>The `pipechat` executable as a user runs it: exit codes, stdout, signals.</summary>
public class CliTests
{
    [Theory]
    [InlineData("echo --bogus", "--bogus")]
    [InlineData("echo --port abc", "--port")]
    [InlineData("echo --model fibers", "--model")]
    [InlineData("echo --max-connections -5", "--max-connections")]
    [InlineData("frobnicate", "frobnicate")]
    [InlineData("echo --max-line 5", "--max-line")]
    [InlineData("chat --port 0 --max-line 1048575", "--max-line")] // longer than any model holds of an unfinished line
    [InlineData("echo --wake-coalescing-ms 5", "--wake-coalescing-ms")]
    [InlineData("echo --model threads --io epoll", "--io")]
    [InlineData("chat --udp --io saea", "--io")]
    [InlineData("echo --model threads --io-threads 2", "--io-threads")]
    [InlineData("echo --io saea --io-threads 2", "--io-threads")]
    [InlineData("echo --udp --idle-timeout 5", "--idle-timeout")]
    [InlineData("echo --config /nonexistent/pipechat.json", "/nonexistent/pipechat.json")]
    [InlineData("echo --keepalive -1", "--keepalive")]
    [InlineData("echo --keepalive soon", "--keepalive")]
    [InlineData("echo --keepalive 40000", "--keepalive")]
    [InlineData("echo --max-connections-per-ip -1", "--max-connections-per-ip")]
    [InlineData("chat --max-connections-per-ip many", "--max-connections-per-ip")]
    [InlineData("echo --udp --keepalive 10", "--keepalive")]
    [InlineData("chat --udp --max-connections-per-ip 3", "--max-connections-per-ip")]
    [InlineData("chat --udp --port 0 --cluster nats://127.0.0.1:4222", "--cluster")]
    [InlineData("echo --port 0 --cluster nats://127.0.0.1:4222", "--cluster")]
    [InlineData("chat --port 0 --cluster http://127.0.0.1:4222", "--cluster")]
    [InlineData("chat --port 0 --cluster nats://127.0.0.1:4222 --cluster-name a.b", "--cluster-name")]
    [InlineData("echo --port 0 --cluster-name x", "--cluster-name")]
    [InlineData("chat --port 0 --cluster-name x", "--cluster-name needs --cluster")]
    [InlineData("echo --port 0 --model \"\"", "--model")]
    [InlineData("chat --port 0 --host \" \"", "--host")]
    [InlineData("echo --port 0 --config \"\"", "--config")]
    public async Task Usage_errors_exit_2_with_one_line_naming_the_problem(string arguments, string named)
    {
        using var cli = CliProcess.Start(arguments);
        Assert.Equal(2, await cli.ExitCodeAsync());
        var lines = cli.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.Contains(named, lines[0], StringComparison.Ordinal);
        Assert.Equal(string.Empty, cli.Stdout);
    }

    [Fact]
    public async Task Address_in_use_exits_1_naming_the_address()
    {
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        taken.Listen();
        var port = ((IPEndPoint)taken.LocalEndPoint!).Port;

        using var cli = CliProcess.Start($"echo --port {port}");

        Assert.Equal(1, await cli.ExitCodeAsync());
        Assert.Contains($"127.0.0.1:{port}", cli.Stderr, StringComparison.Ordinal);
        Assert.Contains("in use", cli.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", cli.Stderr, StringComparison.Ordinal);
        Assert.Equal(string.Empty, cli.Stdout);
    }

    [Theory]
    [InlineData("async")]
    [InlineData("threads")]
    [InlineData("iterative")]
    public async Task Serves_prints_one_ready_line_and_exits_0_on_SIGTERM(string model)
    {
        using var cli = CliProcess.Start($"echo --model {model} --port 0");
        var endPoint = await cli.ReadyAsync();

        using (var client = await TestClient.ConnectAsync(endPoint))
        {
            await client.SendAsync("ping\n");
            Assert.Equal("ping\n"u8.ToArray(), await client.ReceiveExactlyAsync(5));
        }

        cli.Signal("TERM");
        Assert.Equal(0, await cli.ExitCodeAsync());
        var stdout = cli.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var how = model == "async" ? "async, epoll" : model;
        Assert.Equal($"pipechat echo ({how}) listening on tcp://{endPoint}", Assert.Single(stdout));
    }

    [Theory]
    [InlineData("async")]
    [InlineData("threads")]
    public async Task SIGINT_flushes_what_was_read_and_closes_cleanly(string model)
    {
        using var cli = CliProcess.Start($"echo --model {model} --port 0 --shutdown-timeout 10");
        var endPoint = await cli.ReadyAsync();
        using var client = await TestClient.ConnectAsync(endPoint, bufferSize: 32 * 1024);
        var data = TestServers.RandomBytes(4 * 1024 * 1024, 1);
        var sent = 0;

        // The client does not read: echoes pile up in the server when the signal comes.
        var sending = Task.Run(async () =>
        {
            for (; sent < data.Length; sent += 16 * 1024)
            {
                await client.SendAsync(data.AsMemory(sent, 16 * 1024));
            }
        });
        await Wait.UntilAsync(() => Volatile.Read(ref sent) >= 256 * 1024, "client sent 256 KiB");
        cli.Signal("INT");

        // Everything the server took is echoed, then a clean EOF (not a reset).
        var echoed = await client.ReceiveToEndAsync();
        Assert.True(echoed.Length >= 64 * 1024, $"only {echoed.Length} bytes echoed");
        Assert.True(data.AsSpan(0, echoed.Length).SequenceEqual(echoed), "echo is not a prefix of what was sent");
        Assert.Equal(0, await cli.ExitCodeAsync());
        client.Socket.Close(0);
        await Task.WhenAny(sending);
    }

    [Fact]
    public async Task Shutdown_timeout_0_aborts_a_client_that_never_reads()
    {
        using var cli = CliProcess.Start("echo --port 0 --shutdown-timeout 0");
        var endPoint = await cli.ReadyAsync();
        using var client = await TestClient.ConnectAsync(endPoint, bufferSize: 16 * 1024);
        await client.SendAsync(TestServers.RandomBytes(100_000, 2));

        cli.Signal("TERM");

        Assert.Equal(0, await cli.ExitCodeAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Environment_variables_configure_the_server()
    {
        using var cli = CliProcess.Start("echo", new Dictionary<string, string> { ["PIPECHAT_PORT"] = "0", ["PIPECHAT_MODEL"] = "threads" });
        await cli.ReadyAsync();
        Assert.Contains("(threads)", cli.Stdout, StringComparison.Ordinal);
        cli.Signal("TERM");
        Assert.Equal(0, await cli.ExitCodeAsync());
    }

    [Fact]
    public async Task Udp_echo_serves_the_udp_client()
    {
        using var server = CliProcess.Start("echo --udp --port 0");
        var endPoint = await server.ReadyAsync();
        Assert.Contains("listening on udp://", server.Stdout, StringComparison.Ordinal);

        using var client = CliProcess.Start($"client echo {endPoint} --udp", stdin: "one\ntwo\n");
        Assert.Equal(0, await client.ExitCodeAsync());
        Assert.Equal("one\ntwo\n", client.Stdout);

        server.Signal("TERM");
        Assert.Equal(0, await server.ExitCodeAsync());
    }

    [Fact]
    public async Task Tcp_client_prints_each_reply_and_fails_cleanly_when_unreachable()
    {
        using var server = CliProcess.Start("echo --port 0");
        var endPoint = await server.ReadyAsync();
        using (var client = CliProcess.Start($"client echo {endPoint}", stdin: "hello\nworld\n"))
        {
            Assert.Equal(0, await client.ExitCodeAsync());
            Assert.Equal("hello\nworld\n", client.Stdout);
        }

        server.Signal("TERM");
        Assert.Equal(0, await server.ExitCodeAsync());

        using var unreachable = CliProcess.Start($"client echo {endPoint}", stdin: "x\n");
        Assert.Equal(1, await unreachable.ExitCodeAsync());
        Assert.Single(unreachable.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Theory]
    [InlineData("echo")]
    [InlineData("chat")]
    public async Task Help_describes_every_option_of_the_command_with_its_variable_and_no_other(string command)
    {
        using var cli = CliProcess.Start($"{command} --help");
        Assert.Equal(0, await cli.ExitCodeAsync());
        var protocol = command == "echo" ? PipeChat.Hosting.ProtocolKind.Echo : PipeChat.Hosting.ProtocolKind.Chat;
        var help = string.Join(' ', cli.Stdout.Split((char[])['\n', ' '], StringSplitOptions.RemoveEmptyEntries));
        foreach (var option in PipeChat.Hosting.ServerOptions.All)
        {
            if (option.AppliesTo(protocol))
            {
                Assert.Contains(option.Name + " ", help, StringComparison.Ordinal);
                Assert.Contains($"{option.DescriptionFor(protocol)} [{option.EnvironmentVariable}]", help, StringComparison.Ordinal);
            }
            else
            {
                Assert.DoesNotContain(option.Name + " ", help, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task A_bad_value_from_a_variable_names_the_variable()
    {
        using var cli = CliProcess.Start("echo", new Dictionary<string, string> { ["PIPECHAT_PORT"] = "abc" });
        Assert.Equal(2, await cli.ExitCodeAsync());
        Assert.Contains("invalid value 'abc' for PIPECHAT_PORT", Assert.Single(Lines(cli.Stderr)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_value_from_a_config_file_names_the_file_and_key()
    {
        var file = TempJson("""{ "PipeChat": { "Port": "abc" } }""");
        using var cli = CliProcess.Start($"echo --config {file}");
        Assert.Equal(2, await cli.ExitCodeAsync());
        Assert.Contains($"invalid value 'abc' for PipeChat:Port in {file}", Assert.Single(Lines(cli.Stderr)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Malformed_json_names_the_file_line_and_position()
    {
        var file = TempJson("{ \"PipeChat\": {\n  \"Port\": 0\n  \"Model\": \"threads\" } }");
        using var cli = CliProcess.Start("echo", new Dictionary<string, string> { ["PIPECHAT_CONFIG"] = file });
        Assert.Equal(2, await cli.ExitCodeAsync());
        Assert.StartsWith($"pipechat: {file}:3:3: malformed JSON", Assert.Single(Lines(cli.Stderr)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_and_inapplicable_settings_in_a_file_are_warned_about_and_the_rest_applies()
    {
        var file = TempJson("""{ "PipeChat": { "Port": 0, "Model": "threads", "Prot": 9005, "MaxLine": 10 } }""");
        using var cli = CliProcess.Start($"echo --config {file}", new Dictionary<string, string> { ["PIPECHAT_IO"] = "epoll" });
        await cli.ReadyAsync();
        Assert.Contains("pipechat echo (threads) listening on", cli.Stdout, StringComparison.Ordinal);
        Assert.Contains($"warning: unknown setting PipeChat:Prot in {file} is ignored", cli.Stderr, StringComparison.Ordinal);
        Assert.Contains($"warning: PipeChat:MaxLine in {file} applies to chat only: ignored", cli.Stderr, StringComparison.Ordinal);
        Assert.Contains("warning: PIPECHAT_IO applies to --model async only: ignored", cli.Stderr, StringComparison.Ordinal);
        cli.Signal("TERM");
        Assert.Equal(0, await cli.ExitCodeAsync());
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private static string TempJson(string json)
    {
        var path = Path.Combine(Path.GetTempPath(), $"pipechat-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        return path;
    }
}
