using System.Buffers;
using System.Text;
using PipeChat.Protocols.Chat;

namespace PipeChat.Tests.Chat;

/// <summary>
/// In-memory <see cref="IChatMemberSink"/> that plays the transport: it pulls the member's output with
/// <see cref="ChatMember.DrainTo"/> and records every line as a string (without its <c>\n</c>).
/// By default it pulls lazily, whenever a test reads <see cref="Lines"/>; <see cref="StartPumping"/> pulls on
/// every wake-up from a thread of its own, like a real connection. A <see cref="Stalled"/> sink never pulls:
/// a member that does not read.
/// </summary>
internal sealed class RecordingSink : IChatMemberSink, IDisposable
{
    private readonly Lock _lock = new();
    private readonly List<string> _lines = [];
    private readonly List<byte[]> _raw = [];
    private readonly ArrayBufferWriter<byte> _buffer = new(256);
    private readonly SemaphoreSlim _wakeups = new(0, int.MaxValue);
    private Thread? _pump;
    private volatile bool _stopPumping;
    private int _wakes;
    private long _lastWakeTimestamp;
    private int _closes;
    private int _aborts;

    /// <summary>The member to pull from; set right after <see cref="ChatHub.Connect"/>.</summary>
    public ChatMember? Member { get; set; }

    /// <summary>Never pull: the member's output piles up (a client that does not read).</summary>
    public bool Stalled { get; set; }

    public int Wakes => Volatile.Read(ref _wakes);

    /// <summary>When the last wake-up came (a Stopwatch timestamp; 0 before the first).</summary>
    public long LastWakeTimestamp => Volatile.Read(ref _lastWakeTimestamp);

    public int CloseCount => Volatile.Read(ref _closes);

    public int AbortCount => Volatile.Read(ref _aborts);

    public bool Closed => CloseCount + AbortCount > 0;

    public IReadOnlyList<string> Lines
    {
        get
        {
            Pull();
            lock (_lock)
            {
                return [.. _lines];
            }
        }
    }

    public IReadOnlyList<byte[]> Raw
    {
        get
        {
            Pull();
            lock (_lock)
            {
                return [.. _raw];
            }
        }
    }

    public string Last => Lines[^1];

    /// <summary>What ended the pump thread, if anything did.</summary>
    public Exception? PumpFailure { get; private set; }

    public void Wake()
    {
        Volatile.Write(ref _lastWakeTimestamp, System.Diagnostics.Stopwatch.GetTimestamp());
        Interlocked.Increment(ref _wakes);
        if (_pump is not null && !_stopPumping)
        {
            try
            {
                _wakeups.Release();
            }
            catch (ObjectDisposedException)
            {
                // A deferred wake-up (timer thread) after the test ended.
            }
        }
    }

    public void Close() => Interlocked.Increment(ref _closes);

    public void Abort() => Interlocked.Increment(ref _aborts);

    /// <summary>Pulls on every wake-up from a background thread until <see cref="Dispose"/>.</summary>
    public void StartPumping()
    {
        _pump = new Thread(() =>
        {
            try
            {
                while (!_stopPumping)
                {
                    _wakeups.Wait(TimeSpan.FromMilliseconds(50));
                    Pull();
                }
            }
            catch (Exception e)
            {
                // Reported by the next read of the lines, not by crashing the test host.
                PumpFailure = e;
            }
        })
        { IsBackground = true, Name = "recording-sink-pump" };
        _pump.Start();
    }

    /// <summary>Returns the lines recorded so far and forgets them.</summary>
    public string[] Take()
    {
        Pull();
        lock (_lock)
        {
            string[] lines = [.. _lines];
            _lines.Clear();
            _raw.Clear();
            return lines;
        }
    }

    public void Dispose()
    {
        _stopPumping = true;
        _wakeups.Release();
        _pump?.Join(TimeSpan.FromSeconds(10));
        _wakeups.Dispose();
    }

    private void Pull()
    {
        if (PumpFailure is { } failure)
        {
            throw new InvalidOperationException("The pump thread failed.", failure);
        }

        if (Stalled || Member is null)
        {
            return;
        }

        lock (_lock)
        {
            bool more;
            do
            {
                more = Member.DrainTo(_buffer);
                Record();
            }
            while (more);
        }
    }

    private void Record()
    {
        ReadOnlySpan<byte> data = _buffer.WrittenSpan;
        while (!data.IsEmpty)
        {
            int end = data.IndexOf((byte)'\n');
            if (end < 0)
            {
                throw new InvalidOperationException("Output must be whole lines ending in \\n.");
            }

            byte[] line = data[..(end + 1)].ToArray();
            _raw.Add(line);
            _lines.Add(Encoding.UTF8.GetString(line, 0, line.Length - 1));
            data = data[(end + 1)..];
        }

        _buffer.ResetWrittenCount();
    }
}
