namespace PipeChat.Protocols.Chat;

/// <summary>
/// The coalescing window of a room that follows its line rate (<see cref="WakeCoalescing.LinesPerWake"/>): long
/// enough to gather about that many lines at the rate lines arrive, never longer than the room's ceiling (the
/// per-member window of <see cref="WakeCoalescing"/>), none when that comes out under <see cref="Shortest"/>;
/// and over as soon as that many lines are waiting (<see cref="Full"/>). A room whose wake-ups keep finding most of
/// its readers still busy (saturated: lines come faster than its members' sends drain them) gathers more lines per
/// wake-up, up to <see cref="SaturatedFactor"/> times as many within a window of <see cref="SaturatedLongest"/>, and
/// comes back once its wake-ups find them asleep again (<see cref="OnWake"/>).
/// Sans-I/O: fed the timestamps of the room's lines, in the units of the room's <see cref="TimeProvider"/>.
/// </summary>
/// <remarks>
/// A window tied to the room's size alone caps a publisher that waits on its own lines (a closed loop with L lines
/// in flight): it gets at most L lines per window delivered, whatever the server could do. A window of k lines at
/// the measured rate lets such a publisher through at up to L ÷ k times its current rate, so with k under L the
/// rate only ever rises; a publisher at a steady rate gets about k lines per wake-up, as with a fixed window.
/// Lines are fed under the room's write lock (one writer at a time); the window is read from any thread.
/// <para>
/// Saturated, a wake-up finds asleep only the readers that finished their last send since the one before: the
/// others' next send takes whatever arrived meanwhile anyway. Waking the few that are asleep every few lines then
/// buys no latency (the room's delivery round, members × one send, is what every line waits for) and costs a
/// send, a wake-up and a thread hand-off per reader per few lines, which is the CPU the room lacks. Gathering
/// more lines per wake-up there sends the same bytes in fewer, larger sends (and fewer receives for the clients).
/// At a moderate rate every wake-up finds the readers asleep, and the window stays at its lines per wake-up: its
/// latency does not change.
/// </para>
/// </remarks>
internal sealed class LineRateWindow
{
    // The rate is sampled over blocks of this many lines: lines come in bunches (one receive, published back to
    // back), and a mean of single intervals read right after a bunch would be biased short.
    private const int BlockLines = 8;

    // Weight of a new block in the mean: 1/4 (a shift), so a change of rate shows within a few dozen lines.
    private const int MeanShift = 2;

    private readonly int _baseLinesPerWake;
    private readonly int _maxLinesPerWake;
    private readonly long _saturatedLongest;
    private int _linesPerWake;
    private readonly long _shortest;
    private long _ceiling;
    private long _meanInterval;
    private long _blockStart = long.MinValue;
    private int _blockLines;
    private long _lines;
    private long _linesAtWake;

    /// <summary>
    /// Creates a window of <paramref name="linesPerWake"/> lines; <paramref name="shortest"/> in timestamp units, and
    /// <paramref name="saturatedLongest"/>, the longest a saturated room's extra lines may make the window.
    /// </summary>
    public LineRateWindow(int linesPerWake, long shortest, long saturatedLongest = long.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(linesPerWake);
        _baseLinesPerWake = linesPerWake;
        _maxLinesPerWake = linesPerWake * SaturatedFactor;
        _linesPerWake = linesPerWake;
        _shortest = shortest;
        _saturatedLongest = saturatedLongest;
    }

    /// <summary>
    /// The shortest window held back (50 µs): a deferred wake-up is a thread hand-off and a sleep, which cost about
    /// as much, and a sleep that short is not kept precisely.
    /// </summary>
    public static TimeSpan Shortest { get; } = TimeSpan.FromMicroseconds(50);

    /// <summary>
    /// A saturated room gathers at most this many times its lines per wake-up (12 with the default 4): still under
    /// the 16 lines a closed-loop publisher keeps in flight in the measurements, and a window of 12 lines at such a
    /// room's rate is about one delivery round of a 100-member room.
    /// </summary>
    public const int SaturatedFactor = 3;

    /// <summary>
    /// The longest a saturated room's extra lines make its window (0.5 ms): they save wake-ups where wake-ups come
    /// often (a busy room of a hundred, a line every few dozen µs); where they come a few hundred times a second
    /// (a room of a thousand) there is nothing to save, and a longer window only adds latency.
    /// </summary>
    public static TimeSpan SaturatedLongest { get; } = TimeSpan.FromMilliseconds(0.5);

    /// <summary>
    /// Gets the lines a window gathers now: the lines per wake-up, more while the room is saturated, as long as
    /// those extra lines keep the window within the saturated longest.
    /// </summary>
    public int LinesPerWake
    {
        get
        {
            int lines = Volatile.Read(ref _linesPerWake);
            if (lines > _baseLinesPerWake)
            {
                long mean = Volatile.Read(ref _meanInterval);
                if (mean > 0)
                {
                    lines = (int)Math.Clamp(_saturatedLongest / mean, _baseLinesPerWake, lines);
                }
            }

            return lines;
        }
    }

    /// <summary>Gets the mean time between the room's lines (timestamp units), 0 before the first block of lines.</summary>
    public long MeanInterval => Volatile.Read(ref _meanInterval);

    /// <summary>Gets the window now (timestamp units): 0 wakes at once.</summary>
    public long Window
    {
        get
        {
            long ceiling = Volatile.Read(ref _ceiling);
            long window = Math.Min(ceiling, Volatile.Read(ref _meanInterval) * LinesPerWake);
            return window < _shortest ? 0 : window;
        }
    }

    /// <summary>
    /// Gets a value indicating whether the lines per wake-up were published since the last <see cref="MarkWake"/>:
    /// then there is no reason to hold them back longer (lines often come in bunches, right after the wake-up
    /// that let their sender go on), and waking now costs no more wake-ups per line than waiting would.
    /// </summary>
    public bool Full => Waiting >= LinesPerWake;

    /// <summary>Gets the lines published since the last <see cref="MarkWake"/>.</summary>
    public long Waiting => Volatile.Read(ref _lines) - Volatile.Read(ref _linesAtWake);

    /// <summary>The room's sleepers are being woken: every line so far will be seen.</summary>
    public void MarkWake() => Volatile.Write(ref _linesAtWake, Volatile.Read(ref _lines));

    /// <summary>
    /// A wake-up found <paramref name="woken"/> of the room's <paramref name="readers"/> asleep. Fewer than half:
    /// the room is saturated (its readers are still sending the last lines), one more line per wake-up, up to
    /// <see cref="SaturatedFactor"/> times the lines per wake-up and while the window stays within the saturated
    /// longest (<see cref="SaturatedLongest"/>); at least seven in eight: it keeps up, one line fewer,
    /// down to the lines per wake-up. Called from any thread; a lost step between two concurrent calls is harmless.
    /// </summary>
    public void OnWake(int woken, int readers)
    {
        if (readers <= 0)
        {
            return;
        }

        int current = Volatile.Read(ref _linesPerWake);
        if ((long)woken * 2 < readers)
        {
            // Not past what the window may hold (so a rate that falls brings the window back at once).
            if (current < _maxLinesPerWake && Volatile.Read(ref _meanInterval) * (current + 1) <= _saturatedLongest)
            {
                Volatile.Write(ref _linesPerWake, current + 1);
            }
        }
        else if ((long)woken * 8 >= (long)readers * 7 && current > _baseLinesPerWake)
        {
            Volatile.Write(ref _linesPerWake, current - 1);
        }
    }

    /// <summary>Sets the longest window (timestamp units; the room's size decides it): 0 wakes at once.</summary>
    public void SetCeiling(long ceiling) => Volatile.Write(ref _ceiling, Math.Max(0, ceiling));

    /// <summary>
    /// A line was published at <paramref name="timestamp"/>. One writer at a time. A mean interval over a block
    /// longer than the ceiling counts as the ceiling: after a pause the first line wakes at once anyway.
    /// </summary>
    public void OnLine(long timestamp)
    {
        Volatile.Write(ref _lines, _lines + 1);
        if (_blockStart == long.MinValue)
        {
            _blockStart = timestamp;
            return;
        }

        if (++_blockLines < BlockLines)
        {
            return;
        }

        long interval = Math.Clamp((timestamp - _blockStart) / BlockLines, 0, Math.Max(Volatile.Read(ref _ceiling), 1));
        _blockStart = timestamp;
        _blockLines = 0;
        long mean = _meanInterval;
        Volatile.Write(ref _meanInterval, mean == 0 ? interval : mean + ((interval - mean) >> MeanShift));
    }
}
