using System.Net;
using System.Text;
using PipeChat.Protocols.Chat;
using PipeChat.Servers;
using PipeChat.Tests.Support;
using PipeChat.Transport.Tls;

namespace PipeChat.Tests.Tls;

/// <summary>Every TCP model over TLS (the connection layer), through real sockets and real handshakes.</summary>
public sealed class TlsServerTests : IDisposable
{
    private readonly TestTls.CertificateFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Theory]
    [MemberData(nameof(TestServers.TcpEchoModels), MemberType = typeof(TestServers))]
    public async Task Echo_over_tls_then_half_close_gets_everything_and_close_notify(TcpModel model)
    {
        var layer = TestTls.Layer(_files);
        await using var server = TestTls.StartTcp(model, layer);
        await using var client = await TestTls.Client.ConnectAsync(server.LocalEndPoint);
        Assert.Equal(_files.Thumbprint, client.Thumbprint);

        // Sent, then close_notify, then read, all on one task: SslStream does not order ShutdownAsync
        // against a read running at the same time (both reach OpenSSL's SSL object unsynchronised), so
        // a concurrent reader can make the client's own shutdown fail. 64 KB fit in loopback's socket
        // buffers, so nothing waits for the client to read.
        var data = TestServers.RandomBytes(64_000, seed: 7);
        for (var offset = 0; offset < data.Length; offset += 8_000)
        {
            await client.SendAsync(data.AsMemory(offset, 8_000));
        }

        // Our close_notify ends the server's input; it answers everything, then closes with its own
        // close_notify: the client's read then ends cleanly (0), not with an error.
        await client.Stream.ShutdownAsync();
        var echoed = await client.ReadToEndAsync().WithTimeout("echo to the end");
        Assert.Equal(data, echoed);
        await Wait.UntilAsync(() => server.Stats.Active == 0, "connection closed");
        Assert.Equal(1, layer.Stats.Handshakes);
        Assert.Equal(0, layer.Stats.Active);
    }

    [Theory]
    [MemberData(nameof(TestServers.TcpEchoModels), MemberType = typeof(TestServers))]
    public async Task Python_ssl_client_echoes_and_sees_close_notify_after_its_fin(TcpModel model)
    {
        await using var server = TestTls.StartTcp(model, TestTls.Layer(_files));
        var output = await ToolRun.RunAsync("python3", ["-c", PythonClient, server.LocalEndPoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), _files.CertificatePath], TimeSpan.FromSeconds(30));
        Assert.Contains("ok TLSv1.3 close_notify", output, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TestServers.TcpConcurrentModels), MemberType = typeof(TestServers))]
    public async Task Chat_over_tls_relays_and_drains_on_shutdown(TcpModel model)
    {
        using var protocol = new ChatProtocol(new ChatLimits());
        var server = TestTls.StartTcp(model, TestTls.Layer(_files), protocol);
        try
        {
            await using var alice = await TestTls.Client.ConnectAsync(server.LocalEndPoint);
            await alice.ReadLineUntilAsync(l => l.StartsWith("* welcome ", StringComparison.Ordinal));
            await alice.SendAsync("/nick alice\n");
            await alice.ReadLineUntilAsync(l => l.Contains("alice", StringComparison.Ordinal));
            await using var bob = await TestTls.Client.ConnectAsync(server.LocalEndPoint);
            await bob.ReadLineUntilAsync(l => l.StartsWith("* welcome ", StringComparison.Ordinal));
            await alice.ReadLineUntilAsync(l => l.Contains("joined", StringComparison.Ordinal));

            await bob.SendAsync("hello over tls\n");
            var line = await alice.ReadLineUntilAsync(l => l.Contains("hello over tls", StringComparison.Ordinal));
            Assert.EndsWith("hello over tls", line, StringComparison.Ordinal);

            // Graceful shutdown: members hear why, then the stream ends with close_notify (a clean EOF).
            var stopping = server.StopAsync(TimeSpan.FromSeconds(10));
            await alice.ReadLineUntilAsync(l => l == "* server shutting down");
            Assert.Empty(await alice.ReadToEndAsync());
            await stopping.WithTimeout("drain");
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Theory]
    [MemberData(nameof(TestServers.TcpEchoModels), MemberType = typeof(TestServers))]
    public async Task Plain_text_client_on_the_tls_port_is_dropped_and_others_keep_working(TcpModel model)
    {
        var layer = TestTls.Layer(_files);
        await using var server = TestTls.StartTcp(model, layer);
        using (var plain = await TestClient.ConnectAsync(server.LocalEndPoint))
        {
            await plain.SendAsync("hello, is this thing on?\n");
            await AssertDroppedAsync(plain);
        }

        await Wait.UntilAsync(() => layer.Stats.ProtocolErrors == 1, "plain text counted as a protocol failure");
        await using var client = await TestTls.Client.ConnectAsync(server.LocalEndPoint);
        await client.SendAsync("still here\n");
        Assert.Equal("still here\n"u8.ToArray(), await client.ReceiveExactlyAsync(11));
    }

    [Theory]
    [MemberData(nameof(TestServers.TcpEchoModels), MemberType = typeof(TestServers))]
    public async Task Client_that_never_handshakes_is_dropped_after_the_timeout(TcpModel model)
    {
        var layer = TestTls.Layer(_files, handshakeTimeout: TimeSpan.FromMilliseconds(500));
        await using var server = TestTls.StartTcp(model, layer);
        using var silent = await TestClient.ConnectAsync(server.LocalEndPoint);
        if (model.Model != ConnectionModel.Iterative)
        {
            // Nobody else waits for it (the iterative model serves one client at a time: bounded by the timeout).
            await using var other = await TestTls.Client.ConnectAsync(server.LocalEndPoint);
            await other.SendAsync("x\n");
            Assert.Equal("x\n"u8.ToArray(), await other.ReceiveExactlyAsync(2));
        }

        await AssertDroppedAsync(silent);
        await Wait.UntilAsync(() => layer.Stats.Timeouts == 1, "timeout counted");
        await using var after = await TestTls.Client.ConnectAsync(server.LocalEndPoint);
        await after.SendAsync("y\n");
        Assert.Equal("y\n"u8.ToArray(), await after.ReceiveExactlyAsync(2));
    }

    [Theory]
    [MemberData(nameof(TestServers.TcpEchoModels), MemberType = typeof(TestServers))]
    public async Task Reload_gives_new_connections_the_new_certificate_and_a_bad_file_keeps_the_old(TcpModel model)
    {
        var layer = TestTls.Layer(_files);
        await using var server = TestTls.StartTcp(model, layer);
        var first = _files.Thumbprint;
        await using (var before = await TestTls.Client.ConnectAsync(server.LocalEndPoint))
        {
            Assert.Equal(first, before.Thumbprint);
        }

        _files.Write("pipechat-renewed");
        Assert.True(layer.Reload());
        await using (var after = await TestTls.Client.ConnectAsync(server.LocalEndPoint))
        {
            Assert.Equal(_files.Thumbprint, after.Thumbprint);
            Assert.NotEqual(first, after.Thumbprint);
        }

        var second = _files.Thumbprint;
        await File.WriteAllTextAsync(_files.KeyPath, "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n");
        Assert.False(layer.Reload());
        Assert.Equal(1, layer.Stats.ReloadFailures);
        await using var still = await TestTls.Client.ConnectAsync(server.LocalEndPoint);
        Assert.Equal(second, still.Thumbprint);
    }

    [Theory]
    [MemberData(nameof(TestServers.TcpEchoModels), MemberType = typeof(TestServers))]
    public async Task A_tls_client_that_never_reads_cannot_grow_server_memory(TcpModel model)
    {
        const int total = 16 * 1024 * 1024;
        const int chunk = 64 * 1024;
        await using var server = TestTls.StartTcp(model, TestTls.Layer(_files));
        await using var client = await TestTls.Client.ConnectAsync(server.LocalEndPoint);
        var block = TestServers.RandomBytes(chunk, 11);
        var sending = Task.Run(async () =>
        {
            for (var sent = 0; sent < total; sent += chunk)
            {
                await client.SendAsync(block);
            }
        });

        var received = await Wait.UntilStableAsync(() => server.Stats.BytesIn, TimeSpan.FromMilliseconds(250), polls: 4);
        Assert.False(sending.IsCompleted, "the sender should be blocked by backpressure");
        Assert.True(received < total, $"server read {received} bytes from a client that reads nothing");
        Assert.True(server.Stats.MaxBufferedPerConnection <= 1024 * 1024, $"server held {server.Stats.MaxBufferedPerConnection} bytes for one connection");
        for (var got = 0; got < total; got += chunk)
        {
            var echoed = await client.ReceiveExactlyAsync(chunk);
            Assert.True(block.AsSpan().SequenceEqual(echoed), $"corrupt data at offset {got}");
        }

        await sending.WithTimeout("sender finished");
    }

    [Theory]
    [MemberData(nameof(TestServers.TcpConcurrentModels), MemberType = typeof(TestServers))]
    public async Task Connections_over_the_limit_are_closed_and_the_others_keep_working(TcpModel model)
    {
        var layer = TestTls.Layer(_files);
        await using var server = TestTls.StartTcp(model, layer, maxConnections: 1);
        await using var first = await TestTls.Client.ConnectAsync(server.LocalEndPoint);
        await first.SendAsync("one\n");
        Assert.Equal("one\n"u8.ToArray(), await first.ReceiveExactlyAsync(4));

        // Closed on arrival: the handshake fails (or the stream ends at once).
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var extra = await TestTls.Client.ConnectAsync(server.LocalEndPoint);
            await extra.SendAsync("two\n");
            await extra.ReceiveExactlyAsync(4);
        });
        Assert.Equal(1, server.Stats.RejectedMaxConnections);
        await first.SendAsync("three\n");
        Assert.Equal("three\n"u8.ToArray(), await first.ReceiveExactlyAsync(6));
    }

    [Theory]
    [MemberData(nameof(TestServers.TcpConcurrentModels), MemberType = typeof(TestServers))]
    public async Task Chat_over_the_limit_gets_server_full_over_tls_then_close_notify(TcpModel model)
    {
        using var protocol = new ChatProtocol(new ChatLimits());
        await using var server = TestTls.StartTcp(model, TestTls.Layer(_files), protocol, maxConnections: 1);
        await using var first = await TestTls.Client.ConnectAsync(server.LocalEndPoint);
        await first.ReadLineUntilAsync(l => l.StartsWith("* welcome ", StringComparison.Ordinal));

        await using (var extra = await TestTls.Client.ConnectAsync(server.LocalEndPoint))
        {
            await extra.ReadLineUntilAsync(l => l == "! server full");
            Assert.Empty(await extra.ReadToEndAsync());
        }

        Assert.Equal(1, server.Stats.RejectedMaxConnections);
        await first.SendAsync("/who\n");
        await first.ReadLineUntilAsync(l => l.StartsWith("* in lobby: ", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(TestServers.TcpConcurrentModels), MemberType = typeof(TestServers))]
    public async Task Chat_line_timeout_over_tls_says_why_and_closes_with_close_notify(TcpModel model)
    {
        using var protocol = new ChatProtocol(new ChatLimits { LineTimeout = TimeSpan.FromMilliseconds(500) });
        await using var server = TestTls.StartTcp(model, TestTls.Layer(_files), protocol);
        await using var client = await TestTls.Client.ConnectAsync(server.LocalEndPoint);
        await client.ReadLineUntilAsync(l => l.StartsWith("* welcome ", StringComparison.Ordinal));
        await client.SendAsync("a line that never ends");
        await client.ReadLineUntilAsync(l => l == "! line timeout");
        Assert.Empty(await client.ReadToEndAsync());
    }

    [Theory]
    [MemberData(nameof(TestServers.TcpConcurrentModels), MemberType = typeof(TestServers))]
    public async Task Chat_rate_limit_over_tls_holds_lines_back_and_then_relays_them_all(TcpModel model)
    {
        using var protocol = new ChatProtocol(new ChatLimits { MaxLineRate = 4 });
        await using var server = TestTls.StartTcp(model, TestTls.Layer(_files), protocol);
        await using var alice = await TestTls.Client.ConnectAsync(server.LocalEndPoint);
        await alice.ReadLineUntilAsync(l => l.StartsWith("* welcome ", StringComparison.Ordinal));
        await using var bob = await TestTls.Client.ConnectAsync(server.LocalEndPoint);
        await bob.ReadLineUntilAsync(l => l.StartsWith("* welcome ", StringComparison.Ordinal));

        // One burst of 12 lines, then nothing more: the lines over the budget wait for it to refill
        // and must still go out without any further input to wake the reader.
        await bob.SendAsync(string.Concat(Enumerable.Range(1, 12).Select(i => $"line {i}\n")));
        for (var i = 1; i <= 12; i++)
        {
            var expected = $"line {i}";
            await alice.ReadLineUntilAsync(l => l.EndsWith(expected, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Missing_or_bad_files_name_the_file()
    {
        var missing = Path.Combine(_files.Folder, "missing.pem");
        var e = Assert.Throws<TlsConfigurationException>(() => new TlsCertificateStore(missing, _files.KeyPath));
        Assert.Contains(missing, e.Message, StringComparison.Ordinal);
        e = Assert.Throws<TlsConfigurationException>(() => new TlsCertificateStore(_files.KeyPath, _files.KeyPath));
        Assert.Contains(_files.KeyPath, e.Message, StringComparison.Ordinal);
        using var other = new TestTls.CertificateFiles("other");
        e = Assert.Throws<TlsConfigurationException>(() => new TlsCertificateStore(_files.CertificatePath, other.KeyPath));
        Assert.Contains(other.KeyPath, e.Message, StringComparison.Ordinal);
        e = Assert.Throws<TlsConfigurationException>(() => new TlsCertificateStore(missing, _files.KeyPath));
        Assert.EndsWith(": no such file", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<TlsConfigurationException>(() => new TlsCertificateStore(_files.Folder, _files.KeyPath));
        Assert.EndsWith($"{_files.Folder}: a directory, not a file", e.Message, StringComparison.Ordinal);
    }

    private static async Task AssertDroppedAsync(TestClient client)
    {
        // EOF or a reset, within a bound: either way the server closed it.
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(Wait.Default);
        try
        {
            while (await client.Socket.ReceiveAsync(buffer, System.Net.Sockets.SocketFlags.None, timeout.Token) > 0)
            {
            }
        }
        catch (System.Net.Sockets.SocketException)
        {
        }
    }

    // A foreign TLS stack: Python's ssl (OpenSSL). Verifies the server against the test certificate,
    // echoes, then ends its input with a plain FIN (TCP half-close); with suppress_ragged_eofs=False
    // the final recv returns b"" only if the server sent close_notify before its FIN.
    private const string PythonClient = """
        import os, socket, ssl, sys
        port, ca = int(sys.argv[1]), sys.argv[2]
        ctx = ssl.create_default_context(cafile=ca)
        ctx.verify_flags &= ~getattr(ssl, "VERIFY_X509_STRICT", 0)
        raw = socket.create_connection(("127.0.0.1", port), timeout=20)
        tls = ctx.wrap_socket(raw, server_hostname="localhost", suppress_ragged_eofs=False)
        payload = b"hello tls\n" * 1000
        tls.sendall(payload)
        data = b""
        while len(data) < len(payload):
            chunk = tls.recv(65536)
            assert chunk, "EOF before the echo"
            data += chunk
        assert data == payload, "echo differs"
        socket.socket(fileno=os.dup(tls.fileno())).shutdown(socket.SHUT_WR)
        try:
            rest = tls.recv(65536)
        except ssl.SSLEOFError:
            print("no close_notify"); sys.exit(1)
        assert rest == b"", "unexpected bytes"
        print("ok", tls.version(), "close_notify")
        """;
}
