using System.Buffers.Text;
using System.Diagnostics;
using PipeChat.LoadTests.Harness;
using PipeChat.LoadTests.Sockets;

namespace PipeChat.LoadTests.Scenarios;

/// <summary>
/// One chat member: reads <c>* welcome NAME</c>, then parses every line it receives; lines
/// <c>&lt;NAME&gt; LG pub seq timestamp</c> are deliveries (latency = now - timestamp, per-publisher
/// order checked). Notices (<c>* ...</c>) are ignored, errors (<c>! ...</c>) counted.
/// </summary>
internal sealed class ChatMember : IDisposable
{
    private const int BufferSize = 64 * 1024;
    private readonly byte[] _buffer = new byte[BufferSize];
    private readonly long[] _lastSeq;
    private readonly long[] _received;
    private int _buffered;
    private long _outOfOrder;
    private long _errorLines;
    private long _otherLines;
    private long _notices;
    private long _maxLatencyTicks;
    private TaskCompletionSource? _progress;

    public ChatMember(int index, TcpConnection connection, int publishers)
    {
        Index = index;
        Connection = connection;
        _lastSeq = new long[publishers];
        _received = new long[publishers];
        Array.Fill(_lastSeq, -1);
    }

    public int Index { get; }

    public TcpConnection Connection { get; }

    public string? Name { get; private set; }

    public long OutOfOrder => Interlocked.Read(ref _outOfOrder);

    public long ErrorLines => Interlocked.Read(ref _errorLines);

    public bool Closed { get; private set; }

    /// <summary>Gets the member lines received that are not <c>LG</c> deliveries (e.g. a flooder's lines).</summary>
    public long OtherLines => Interlocked.Read(ref _otherLines);

    /// <summary>Gets the longest delivery latency seen, in <see cref="Stopwatch"/> ticks.</summary>
    public long MaxLatencyTicks => Interlocked.Read(ref _maxLatencyTicks);

    /// <summary>Gets the notices (<c>* ...</c>) received after the welcome.</summary>
    public long Notices => Interlocked.Read(ref _notices);

    /// <summary>Gets or sets what is called with NAME for every <c>* NAME left (too slow)</c> received.</summary>
    public Action<string>? TooSlowNotice { get; set; }

    public long ReceivedFrom(int publisher) => Interlocked.Read(ref _received[publisher]);

    /// <summary>Completes on the next delivery this member reads (check <see cref="ReceivedFrom"/> again after calling).</summary>
    public Task NextDeliveryAsync()
    {
        var next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return (Interlocked.CompareExchange(ref _progress, next, null) ?? next).Task;
    }

    /// <summary>Reads up to the first line, which must be <c>* welcome NAME</c>; keeps what follows.</summary>
    public async Task ReadWelcomeAsync()
    {
        while (true)
        {
            int newline = _buffer.AsSpan(0, _buffered).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                var line = _buffer.AsSpan(0, newline).TrimEnd((byte)'\r');
                if (!line.StartsWith("* welcome "u8))
                {
                    throw new InvalidDataException($"expected '* welcome NAME', got '{System.Text.Encoding.UTF8.GetString(line)}'");
                }

                Name = System.Text.Encoding.UTF8.GetString(line["* welcome "u8.Length..]);
                _buffer.AsSpan(newline + 1, _buffered - newline - 1).CopyTo(_buffer);
                _buffered -= newline + 1;
                return;
            }

            if (_buffered == BufferSize)
            {
                throw new InvalidDataException("welcome line too long");
            }

            int n = await Connection.ReceiveAsync(_buffer.AsMemory(_buffered)).ConfigureAwait(false);
            if (n == 0)
            {
                throw new EndOfStreamException("closed before the welcome line");
            }

            _buffered += n;
        }
    }

    /// <summary>Receives and parses lines until cancelled or the server closes.</summary>
    public async Task ReceiveLoopAsync(StatsCollector stats, CancellationToken cancellationToken)
    {
        try
        {
            ParseBuffered(stats);
            while (!cancellationToken.IsCancellationRequested)
            {
                if (_buffered == BufferSize)
                {
                    stats.RecordFail("line too long");
                    _buffered = 0;
                }

                int n = await Connection.ReceiveUntilCancelledAsync(_buffer.AsMemory(_buffered), cancellationToken).ConfigureAwait(false);
                if (n == 0)
                {
                    Closed = true;
                    return;
                }

                stats.AddBytes(0, n);
                _buffered += n;
                ParseBuffered(stats);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // the run is over
        }
        catch (Exception ex) when (ex is System.Net.Sockets.SocketException or ObjectDisposedException)
        {
            Closed = true;
        }
    }

    public void Dispose() => Connection.Dispose();

    // Parses every complete line in the buffer and keeps the unfinished rest.
    private void ParseBuffered(StatsCollector stats)
    {
        var data = _buffer.AsSpan(0, _buffered);
        int consumed = 0;
        while (true)
        {
            int newline = data[consumed..].IndexOf((byte)'\n');
            if (newline < 0)
            {
                break;
            }

            OnLine(data.Slice(consumed, newline).TrimEnd((byte)'\r'), stats);
            consumed += newline + 1;
        }

        if (consumed > 0)
        {
            data[consumed..].CopyTo(_buffer);
            _buffered -= consumed;
        }
    }

    private void OnLine(ReadOnlySpan<byte> line, StatsCollector stats)
    {
        if (line.IsEmpty)
        {
            return;
        }

        if (line[0] == (byte)'*')
        {
            Interlocked.Increment(ref _notices);
            if (TooSlowNotice is { } onTooSlow && line.EndsWith(" left (too slow)"u8) && line.Length > 2 + " left (too slow)"u8.Length)
            {
                onTooSlow(System.Text.Encoding.UTF8.GetString(line[2..^" left (too slow)"u8.Length]));
            }

            return;
        }

        if (line[0] == (byte)'!')
        {
            Interlocked.Increment(ref _errorLines);
            return;
        }

        int marker = line.IndexOf("> LG "u8);
        if (line[0] != (byte)'<' || marker < 0)
        {
            Interlocked.Increment(ref _otherLines);
            return;
        }

        var rest = line[(marker + "> LG "u8.Length)..];
        if (!Utf8Parser.TryParse(rest, out int publisher, out int used) || publisher < 0 || publisher >= _lastSeq.Length ||
            !NextNumber(ref rest, used, out long seq) || !NextNumber(ref rest, 0, out long sentAt))
        {
            stats.RecordFail("malformed LG line");
            return;
        }

        long now = Stopwatch.GetTimestamp();
        Interlocked.Increment(ref _received[publisher]);
        if (Volatile.Read(ref _progress) is not null)
        {
            Interlocked.Exchange(ref _progress, null)?.TrySetResult();
        }
        if (seq <= _lastSeq[publisher])
        {
            Interlocked.Increment(ref _outOfOrder);
            stats.RecordFail("out of order");
            return;
        }

        _lastSeq[publisher] = seq;
        if (now - sentAt > _maxLatencyTicks)
        {
            Interlocked.Exchange(ref _maxLatencyTicks, now - sentAt);
        }

        stats.RecordOk(Index, now - sentAt);
    }

    // Skips `skip` bytes and one space, then parses a number.
    private static bool NextNumber(ref ReadOnlySpan<byte> rest, int skip, out long value)
    {
        value = 0;
        if (skip > 0)
        {
            rest = rest[skip..];
        }

        if (rest.IsEmpty || rest[0] != (byte)' ')
        {
            return false;
        }

        rest = rest[1..];
        if (!Utf8Parser.TryParse(rest, out value, out int used))
        {
            return false;
        }

        rest = rest[used..];
        return true;
    }
}
