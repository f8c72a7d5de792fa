using System.Net;
using System.Net.Sockets;
using System.Text;
using PipeChat.Tests.Support;

namespace PipeChat.Tests.Hosting;

/// <summary>The `pipechat` executable over Unix sockets (--unix, client unix:PATH) and under socket activation.</summary>
public sealed partial class UnixCliTests : IDisposable
{
    private readonly string _path = TestServers.UnixPath();

    public void Dispose() => File.Delete(_path);

    [Theory]
    [InlineData("echo", "--model async --io epoll")]
    [InlineData("echo", "--model async --io saea")]
    [InlineData("echo", "--model threads")]
    [InlineData("echo", "--model iterative")]
    [InlineData("chat", "--model async")]
    [InlineData("chat", "--model threads")]
    public async Task Serves_a_unix_socket_to_the_client_and_removes_it_at_exit(string command, string model)
    {
        using var server = CliProcess.Start($"{command} {model} --unix {_path}");
        var ready = await server.ReadyLineAsync();
        Assert.EndsWith($" listening on unix:{_path}", ready, StringComparison.Ordinal);
        Assert.StartsWith($"pipechat {command} (", ready, StringComparison.Ordinal);

        if (command == "echo")
        {
            using var client = CliProcess.Start($"client echo unix:{_path}", stdin: "hello over unix\nsecond\n");
            Assert.Equal(0, await client.ExitCodeAsync());
            Assert.Equal("hello over unix\nsecond\n", client.Stdout.Replace("\r", "", StringComparison.Ordinal));
        }
        else
        {
            using var bob = await ChatTestClient.JoinAsync(new UnixDomainSocketEndPoint(_path));
            using var client = CliProcess.Start($"client chat unix:{_path} --name alice", stdin: "hello over unix\n");
            await bob.SkipUntilAsync("<alice> hello over unix");
            Assert.Equal(0, await client.ExitCodeAsync());
        }

        Assert.True(File.Exists(_path));
        server.Signal("TERM");
        Assert.Equal(0, await server.ExitCodeAsync());
        Assert.False(File.Exists(_path), "the socket file is removed at exit");
    }

    [Fact]
    public async Task A_metrics_port_in_use_is_exit_1_naming_it_and_the_socket_file_is_removed()
    {
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        taken.Listen();
        var port = ((IPEndPoint)taken.LocalEndPoint!).Port;

        using var server = CliProcess.Start($"chat --unix {_path} --metrics-port {port}");
        Assert.Equal(1, await server.ExitCodeAsync());
        Assert.Contains($"cannot listen on http://127.0.0.1:{port}/metrics", server.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", server.Stderr, StringComparison.Ordinal);
        Assert.Empty(server.Stdout);
        Assert.False(File.Exists(_path), "the socket file is removed at exit");
    }

    [Fact]
    public async Task A_unix_socket_in_use_is_exit_1_naming_it_and_the_server_there_keeps_serving()
    {
        using var first = CliProcess.Start($"echo --unix {_path}");
        await first.ReadyLineAsync();
        using var second = CliProcess.Start($"echo --model threads --unix {_path}");
        Assert.Equal(1, await second.ExitCodeAsync());
        Assert.Contains($"cannot listen on unix:{_path}: address already in use", second.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", second.Stderr, StringComparison.Ordinal);

        using var client = await TestClient.ConnectAsync(new UnixDomainSocketEndPoint(_path));
        await client.SendAsync("still here");
        Assert.Equal("still here", Encoding.UTF8.GetString(await client.ReceiveExactlyAsync(10)));
    }

    [Fact]
    public async Task A_stale_socket_file_is_replaced()
    {
        var aside = _path + ".aside";
        using (var dead = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            dead.Bind(new UnixDomainSocketEndPoint(_path));
            File.Move(_path, aside); // The runtime removes what it bound at dispose: keep the file.
        }

        File.Move(aside, _path);
        using var server = CliProcess.Start($"echo --unix {_path}");
        Assert.EndsWith($"unix:{_path}", await server.ReadyLineAsync(), StringComparison.Ordinal);
        using var client = await TestClient.ConnectAsync(new UnixDomainSocketEndPoint(_path));
        await client.SendAsync("ok");
        Assert.Equal("ok", Encoding.UTF8.GetString(await client.ReceiveExactlyAsync(2)));
    }

    [Theory]
    [InlineData("echo --unix PATH --udp", "--unix does not apply with --udp")]
    [InlineData("echo --unix PATH --port 7007", "--port does not apply with --unix")]
    [InlineData("chat --unix PATH --host 127.0.0.1", "--host does not apply with --unix")]
    [InlineData("echo --unix PATH --keepalive 5", "--keepalive does not apply to --unix")]
    [InlineData("chat --unix PATH --max-connections-per-ip 2", "--max-connections-per-ip does not apply to --unix")]
    public async Task Options_that_cannot_apply_to_a_unix_socket_are_usage_errors(string arguments, string message)
    {
        using var cli = CliProcess.Start(arguments.Replace("PATH", _path, StringComparison.Ordinal));
        Assert.Equal(2, await cli.ExitCodeAsync());
        Assert.Contains(message, cli.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(_path));
    }

    [Fact]
    public async Task A_client_without_a_server_at_the_path_is_exit_1()
    {
        using var client = CliProcess.Start($"client echo unix:{_path}", stdin: "x\n");
        Assert.Equal(1, await client.ExitCodeAsync());
        Assert.Contains($"cannot reach unix:{_path}", client.Stderr, StringComparison.Ordinal);
    }

    [ToolTheory(CliProcess.Python, "python3")]
    [InlineData("tcp", "echo --model async")]
    [InlineData("tcp", "echo --model threads")]
    [InlineData("tcp", "chat --model async --io saea")]
    [InlineData("tcp", "echo --model iterative")]
    [InlineData("unix", "echo --model async")]
    [InlineData("unix", "echo --model async --io saea")]
    [InlineData("unix", "chat --model threads")]
    [InlineData("unix", "echo --model iterative")]
    [InlineData("udp", "echo --udp --model async")]
    [InlineData("udp", "chat --udp --model threads")]
    public async Task Serves_the_socket_passed_by_socket_activation(string kind, string arguments)
    {
        // --port 1: a port this run could never bind; the passed socket is served instead.
        var extra = kind == "unix" ? [] : (string[])["--port", "1"];
        using var server = CliProcess.StartActivated(kind, kind == "unix" ? _path : null, [.. arguments.Split(' '), .. extra]);
        var ready = await server.ReadyLineAsync();
        var chat = arguments.StartsWith("chat", StringComparison.Ordinal);
        if (kind == "unix")
        {
            Assert.EndsWith($" listening on unix:{_path}", ready, StringComparison.Ordinal);
            var endPoint = new UnixDomainSocketEndPoint(_path);
            await ExchangeAsync(endPoint, chat);
        }
        else
        {
            var match = System.Text.RegularExpressions.Regex.Match(ready, $@" listening on {kind}://127\.0\.0\.1:(\d+)$");
            Assert.True(match.Success, ready);
            var endPoint = new IPEndPoint(IPAddress.Loopback, int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
            Assert.NotEqual(1, endPoint.Port);
            if (kind == "udp")
            {
                using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                udp.Connect(endPoint);
                udp.Send(Encoding.UTF8.GetBytes(chat ? "#REG alice" : "ping"));
                var buffer = new byte[512];
                using var timeout = new CancellationTokenSource(Wait.Default);
                var count = await udp.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
                var reply = Encoding.UTF8.GetString(buffer, 0, count);
                Assert.True(chat ? reply.Contains("alice", StringComparison.Ordinal) : reply == "ping", reply);
            }
            else
            {
                await ExchangeAsync(endPoint, chat);
            }
        }

        server.Signal("TERM");
        Assert.Equal(0, await server.ExitCodeAsync());
        if (kind == "unix")
        {
            Assert.True(File.Exists(_path), "a socket file the server did not create is left where it is");
        }
    }

    [ToolTheory(CliProcess.Python, "python3")]
    [InlineData("echo --udp --model async")]
    [InlineData("echo --udp --model threads")]
    public async Task Answers_the_datagram_that_was_queued_on_the_passed_socket_before_it_started(string arguments)
    {
        // As systemd starts a UDP service on its first datagram: the datagram is already waiting
        // on the socket when pipechat starts (sent once the launcher bound it, before the exec).
        using var server = CliProcess.StartActivated("udp", null, [.. arguments.Split(' '), "--port", "1"]);
        var port = 0;
        await Wait.UntilAsync(
            () => BoundPort().Match(server.Stderr) is { Success: true } m && int.TryParse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture, out port),
            "the launcher's bound line");
        using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        udp.Connect(new IPEndPoint(IPAddress.Loopback, port));
        udp.Send("queued"u8);
        var buffer = new byte[64];
        using var timeout = new CancellationTokenSource(Wait.Default);
        var count = await udp.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
        Assert.Equal("queued", Encoding.UTF8.GetString(buffer, 0, count));
        Assert.EndsWith($" listening on udp://127.0.0.1:{port}", await server.ReadyLineAsync(), StringComparison.Ordinal);
        server.Signal("TERM");
        Assert.Equal(0, await server.ExitCodeAsync());
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"activation: bound udp port (\d+)")]
    private static partial System.Text.RegularExpressions.Regex BoundPort();

    [ToolTheory(CliProcess.Python, "python3")]
    [InlineData("tcp", "echo --udp", "descriptor 3 is a TCP socket, this server needs a UDP socket")]
    [InlineData("udp", "echo", "descriptor 3 is a UDP socket, this server needs a TCP or Unix stream socket")]
    [InlineData("unix", "chat --udp", "descriptor 3 is a Unix stream socket, this server needs a UDP socket")]
    public async Task A_passed_socket_of_the_wrong_kind_is_exit_1(string kind, string arguments, string message)
    {
        using var server = CliProcess.StartActivated(kind, kind == "unix" ? _path : null, arguments.Split(' '));
        Assert.Equal(1, await server.ExitCodeAsync());
        Assert.Contains("socket activation: " + message, server.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", server.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sockets_passed_to_another_process_are_not_taken()
    {
        // LISTEN_PID names someone else (e.g. a parent that did not clear it): bind as usual.
        using var server = CliProcess.Start("echo --port 0", new Dictionary<string, string> { ["LISTEN_FDS"] = "1", ["LISTEN_PID"] = "1" });
        var endPoint = await server.ReadyAsync();
        using var client = await TestClient.ConnectAsync(endPoint);
        await client.SendAsync("mine");
        Assert.Equal("mine", Encoding.UTF8.GetString(await client.ReceiveExactlyAsync(4)));
    }

    private static async Task ExchangeAsync(EndPoint endPoint, bool chat)
    {
        if (chat)
        {
            using var alice = await ChatTestClient.JoinAsync(endPoint);
            using var bob = await ChatTestClient.JoinAsync(endPoint);
            await alice.SkipUntilAsync($"* {bob.Name} joined");
            await alice.SendLineAsync("activated");
            await bob.SkipUntilAsync($"<{alice.Name}> activated");
            return;
        }

        using var client = await TestClient.ConnectAsync(endPoint);
        await client.SendAsync("activated");
        Assert.Equal("activated", Encoding.UTF8.GetString(await client.ReceiveExactlyAsync(9)));
    }
}
