using System.Net.Security;
using System.Text;
using PipeChat.Protocols;
using PipeChat.Protocols.Chat;
using PipeChat.Servers;
using PipeChat.Tests.Support;
using PipeChat.Transport;

namespace PipeChat.Tests.Tls;

/// <summary>
/// The async model's TLS connections on epoll I/O park idle on their epoll registration (no pending
/// SslStream read): still served after idling, stopped and aborted promptly, over TCP and Unix sockets.
/// </summary>
public sealed class TlsIdleParkTests : IDisposable
{
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(10);
    private readonly TestTls.CertificateFiles _files = new();
    private readonly string _unixPath = TestServers.UnixPath();

    public static TheoryData<bool> Transports => new() { false, true };

    public void Dispose()
    {
        _files.Dispose();
        File.Delete(_unixPath);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task An_idle_connection_parks_and_is_served_after_idling(bool unix)
    {
        await using var server = Start(unix);
        await using var client = await ConnectAsync(server, unix);

        // Right after the handshake (nothing sent yet) it parks as well.
        await Wait.UntilAsync(() => server.ParkedConnections == 1, "parked after the handshake");
        Assert.Equal("one\n", await client.EchoAsync("one\n"));
        await Wait.UntilAsync(() => server.ParkedConnections == 1, "parked after a message");

        await Task.Delay(TimeSpan.FromSeconds(1)); // Idle a while (not a synchronisation: nothing is waited for).
        Assert.Equal(1, server.ParkedConnections);
        Assert.Equal("two\n", await client.EchoAsync("two\n"));
        var big = new string('x', 40_000) + "\n";
        Assert.Equal(big, await client.EchoAsync(big));
        await Wait.UntilAsync(() => server.ParkedConnections == 1, "parked again");
        Assert.Equal(1, server.Stats.Active);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Stop_closes_parked_connections_promptly_with_close_notify(bool unix)
    {
        var server = Start(unix);
        try
        {
            var clients = new List<TestTls.Client>();
            for (var i = 0; i < 3; i++)
            {
                var client = await ConnectAsync(server, unix);
                clients.Add(client);
                Assert.Equal("hi\n", await client.EchoAsync("hi\n"));
            }

            await Wait.UntilAsync(() => server.ParkedConnections == 3, "all parked");
            var started = System.Diagnostics.Stopwatch.StartNew();
            await server.StopAsync(TimeSpan.FromSeconds(60)).WithTimeout("stop", Prompt);
            Assert.True(started.Elapsed < Prompt, $"stop took {started.Elapsed}");
            foreach (var client in clients)
            {
                // A clean end (close_notify), not an error.
                Assert.Equal(0, await client.Stream.ReadAsync(new byte[16]).AsTask().WithTimeout("close_notify", Prompt));
                await client.DisposeAsync();
            }

            Assert.Equal(0, server.Stats.Active);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Abort_closes_a_parked_connection_promptly(bool unix)
    {
        var server = Start(unix);
        await using var client = await ConnectAsync(server, unix);
        Assert.Equal("hi\n", await client.EchoAsync("hi\n"));
        await Wait.UntilAsync(() => server.ParkedConnections == 1, "parked");

        // No drain time: every connection is aborted.
        await server.DisposeAsync().AsTask().WithTimeout("abort", Prompt);
        await Wait.UntilAsync(() => server.Stats.Active == 0, "closed", Prompt);
        try
        {
            Assert.Equal(0, await client.Stream.ReadAsync(new byte[16]).AsTask().WithTimeout("end", Prompt));
        }
        catch (IOException)
        {
            // Reset: as good an end.
        }
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Data_and_close_notify_in_one_segment_are_answered_and_closed(bool unix)
    {
        // SslStream returns the data and keeps the close_notify that came with it: the connection
        // must not park on the socket then, or it would wait for a client that is done.
        await using var server = Start(unix);
        CoalescingStream? coalesce = null;
        await using var client = await ConnectAsync(server, unix, s => coalesce = new CoalescingStream(s));
        Assert.Equal("first\n", await client.EchoAsync("first\n"));
        coalesce!.Hold = true;
        await client.Stream.WriteAsync(Encoding.ASCII.GetBytes("last\n"));
        await client.Stream.ShutdownAsync();
        await coalesce.ReleaseAsync();
        var rest = await client.ReadToEndAsync().WithTimeout("echo and close_notify", Prompt);
        Assert.Equal("last\n", Encoding.ASCII.GetString(rest));
        await Wait.UntilAsync(() => server.Stats.Active == 0, "closed", Prompt);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_parked_chat_member_gets_broadcasts_and_stays_parked(bool unix)
    {
        using var protocol = new ChatProtocol(new ChatLimits());
        await using var server = Start(unix, protocol);
        await using var alice = await ConnectAsync(server, unix);
        await alice.ReadLineUntilAsync(l => l.StartsWith("* welcome ", StringComparison.Ordinal));
        await using var bob = await ConnectAsync(server, unix);
        await bob.ReadLineUntilAsync(l => l.StartsWith("* welcome ", StringComparison.Ordinal));
        await alice.ReadLineUntilAsync(l => l.Contains("joined", StringComparison.Ordinal));
        await Wait.UntilAsync(() => server.ParkedConnections == 2, "both parked");

        for (var i = 0; i < 3; i++)
        {
            await bob.Stream.WriteAsync(Encoding.ASCII.GetBytes($"line {i}\n"));
            await alice.ReadLineUntilAsync(l => l.EndsWith($"line {i}", StringComparison.Ordinal));
            await Wait.UntilAsync(() => server.ParkedConnections == 2, "parked again");
        }
    }

    private AsyncTcpServer Start(bool unix, IStreamProtocol? protocol = null) =>
        TestTls.StartAsyncModel(TestTls.Layer(_files), protocol, SocketIoKind.Epoll, unix ? _unixPath : null);

    private Task<TestTls.Client> ConnectAsync(AsyncTcpServer server, bool unix, Func<Stream, Stream>? wrap = null) =>
        TestTls.Client.ConnectAsync(TestTls.EndPointOf(server, unix ? _unixPath : null), wrap);

    /// <summary>Passes writes through, or while <see cref="Hold"/> keeps them to send in one write (one segment).</summary>
    private sealed class CoalescingStream(Stream inner) : Stream
    {
        private readonly MemoryStream _held = new();

        public bool Hold { get; set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public async Task ReleaseAsync()
        {
            Hold = false;
            await inner.WriteAsync(_held.ToArray());
            _held.SetLength(0);
        }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.ReadAsync(buffer, offset, count, cancellationToken);

        public override void Write(byte[] buffer, int offset, int count)
        {
            if (Hold)
            {
                _held.Write(buffer, offset, count);
                return;
            }

            inner.Write(buffer, offset, count);
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (Hold)
            {
                _held.Write(buffer.Span);
                return default;
            }

            return inner.WriteAsync(buffer, cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush() => inner.Flush();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
                _held.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
