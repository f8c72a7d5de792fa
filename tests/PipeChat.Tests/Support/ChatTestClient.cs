using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading.Channels;

namespace PipeChat.Tests.Support;

/// <summary>
/// A TCP chat member for tests: reads <c>\n</c>-terminated lines with a timeout. A background
/// pump (started on the first read, so a client that never reads really never reads) moves
/// received lines into a channel; every wait on that channel has a deadline.
/// </summary>
public sealed partial class ChatTestClient : IDisposable
{
    /// <summary>How long one line may take to arrive.</summary>
    public static readonly TimeSpan LineTimeout = Wait.Default;

    // Hard bound on the pump's receives; disposal ends it sooner.
    private static readonly TimeSpan PumpLifetime = TimeSpan.FromMinutes(2);

    private readonly Channel<Received> _lines = Channel.CreateUnbounded<Received>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly CancellationTokenSource _stop = new(PumpLifetime);
    private readonly Queue<string> _recent = new();
    private Task? _pump;

    private ChatTestClient(TestClient client) => Client = client;

    /// <summary>The raw socket client (sending, reset, shutdown).</summary>
    public TestClient Client { get; }

    /// <summary>The name from <c>* welcome NAME</c>, once read by <see cref="JoinAsync"/>.</summary>
    public string Name { get; set; } = "?";

    public static async Task<ChatTestClient> ConnectAsync(EndPoint endPoint, int? bufferSize = null, IPAddress? from = null) =>
        new(await TestClient.ConnectAsync(endPoint, bufferSize, from));

    /// <summary>Connects and reads the welcome line, which must be <c>* welcome userN</c>.</summary>
    public static async Task<ChatTestClient> JoinAsync(EndPoint endPoint)
    {
        var client = await ConnectAsync(endPoint);
        try
        {
            var welcome = await client.ReadLineAsync();
            var match = WelcomeRegex().Match(welcome);
            Assert.True(match.Success, $"expected '* welcome userN', got '{welcome}'");
            client.Name = match.Groups[1].Value;
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    public Task SendLineAsync(string line) => Client.SendAsync(line + "\n");

    public Task SendAsync(string raw) => Client.SendAsync(raw);

    public Task SendAsync(ReadOnlyMemory<byte> raw) => Client.SendAsync(raw);

    /// <summary>The next line's bytes (without <c>\n</c>); throws on timeout or when the server closed.</summary>
    public async Task<byte[]> ReadLineBytesAsync(TimeSpan? timeout = null)
    {
        var item = await NextAsync(timeout ?? LineTimeout);
        if (item.Line is null)
        {
            throw new EndOfStreamException($"{Name}: server closed ({item.End}) while a line was expected; {Recent()}");
        }

        Remember(item.Line);
        return item.Line;
    }

    /// <summary>The next line decoded as UTF-8.</summary>
    public async Task<string> ReadLineAsync(TimeSpan? timeout = null) => Encoding.UTF8.GetString(await ReadLineBytesAsync(timeout));

    /// <summary>The next line, or null if none arrives within <paramref name="timeout"/>.</summary>
    public async Task<string?> TryReadLineAsync(TimeSpan timeout)
    {
        try
        {
            return await ReadLineAsync(timeout);
        }
        catch (TimeoutException)
        {
            return null;
        }
    }

    /// <summary>Asserts the next line is exactly <paramref name="expected"/>.</summary>
    public async Task ExpectAsync(string expected)
    {
        var line = await ReadLineAsync();
        Assert.True(expected == line, $"{Name}: expected '{expected}', got '{line}'");
    }

    /// <summary>Reads until a line matches; returns the lines skipped on the way.</summary>
    public async Task<List<string>> SkipUntilAsync(Func<string, bool> match)
    {
        var skipped = new List<string>();
        while (true)
        {
            var line = await ReadLineAsync();
            if (match(line))
            {
                return skipped;
            }

            skipped.Add(line);
        }
    }

    public Task<List<string>> SkipUntilAsync(string exact) => SkipUntilAsync(line => line == exact);

    /// <summary>Asserts that no further line comes: the server closes (EOF or reset) next.</summary>
    public async Task ExpectClosedAsync()
    {
        var item = await NextAsync(LineTimeout);
        Assert.True(item.Line is null, $"{Name}: expected the server to close, got line '{(item.Line is null ? null : Encoding.UTF8.GetString(item.Line))}'");
    }

    /// <summary>Closes with RST instead of FIN.</summary>
    public void Reset() => Client.Reset();

    public void Dispose()
    {
        _stop.Cancel();
        Client.Dispose();
        _stop.Dispose();
    }

    [GeneratedRegex(@"^\* welcome (user\d+)$")]
    private static partial Regex WelcomeRegex();

    private async Task<Received> NextAsync(TimeSpan timeout)
    {
        _pump ??= Task.Run(PumpAsync);
        if (_lines.Reader.TryRead(out var ready))
        {
            return ready;
        }

        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            return await _lines.Reader.ReadAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{Name}: no line within {timeout.TotalSeconds:0.#} s; {Recent()}");
        }
        catch (ChannelClosedException)
        {
            // The end marker was already taken: the server closed earlier.
            return new Received(null, "closed earlier");
        }
    }

    private async Task PumpAsync()
    {
        var buffer = new byte[64 * 1024];
        var partial = new List<byte>();
        string end;
        try
        {
            while (true)
            {
                var count = await Client.Socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (count == 0)
                {
                    end = "EOF";
                    break;
                }

                var data = buffer.AsSpan(0, count);
                while (true)
                {
                    var newline = data.IndexOf((byte)'\n');
                    if (newline < 0)
                    {
                        partial.AddRange(data);
                        break;
                    }

                    byte[] line;
                    if (partial.Count == 0)
                    {
                        line = data[..newline].ToArray();
                    }
                    else
                    {
                        partial.AddRange(data[..newline]);
                        line = [.. partial];
                        partial.Clear();
                    }

                    _lines.Writer.TryWrite(new Received(line, null));
                    data = data[(newline + 1)..];
                }
            }
        }
        catch (SocketException e)
        {
            end = e.SocketErrorCode.ToString();
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
            end = "stopped";
        }

        if (partial.Count > 0)
        {
            // An unterminated last line is reported as it is, so an exact assertion sees it.
            _lines.Writer.TryWrite(new Received([.. partial], null));
        }

        _lines.Writer.TryWrite(new Received(null, end));
        _lines.Writer.TryComplete();
    }

    private void Remember(byte[] line)
    {
        lock (_recent)
        {
            _recent.Enqueue(Encoding.UTF8.GetString(line.AsSpan(0, Math.Min(line.Length, 120))));
            if (_recent.Count > 10)
            {
                _recent.Dequeue();
            }
        }
    }

    private string Recent()
    {
        lock (_recent)
        {
            return $"last lines read: [{string.Join(" | ", _recent)}]";
        }
    }

    private readonly record struct Received(byte[]? Line, string? End);
}
