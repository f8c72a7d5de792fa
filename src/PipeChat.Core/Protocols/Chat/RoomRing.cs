using System.Buffers;

namespace PipeChat.Protocols.Chat;

/// <summary>
/// A room's broadcast channel: one shared <see cref="BroadcastRing{T, TReader}"/> of encoded lines per room, and
/// per member nothing but a seat with a cursor (<see cref="ChatSeat"/>). Publishing a line is O(1) whatever the
/// room size: the line is stored once, and only members that had caught up and went to sleep are woken.
/// </summary>
/// <remarks>
/// <para>
/// Writers (relays from any connection, notices under the hub lock) serialise on a small per-room lock that
/// covers just the slot write and the byte counts; readers never lock.
/// </para>
/// <para>
/// Nobody waits for a slow reader: the ring grows instead. Readers over the <see cref="BacklogPolicy"/> are
/// reported to the hub, which cuts them off (and so removes their cursor), which is what bounds the ring.
/// </para>
/// <para>
/// Readers that caught up sleep (<see cref="RoomSleepers"/>); a publish wakes them through the room's
/// <see cref="WakeStrategy"/>, at once or coalesced (<see cref="CoalescedWake"/>), and inside a
/// <see cref="WakeBatch"/> only at the end of the batch.
/// </para>
/// </remarks>
internal sealed class RoomRing : IWakeable
{
    /// <summary>
    /// Backlogs bound the ring in bytes; this bounds it in lines too (24 MiB of slots), whatever a reader's
    /// reason for not moving: readers a whole ring behind at this size are cut off.
    /// </summary>
    public const int DefaultMaxCapacity = 1 << 20;

    private readonly Lock _lock = new();
    private readonly BroadcastRing<RoomLine, ChatSeat> _ring;
    private readonly BacklogPolicy _backlog;
    private readonly RoomSleepers _sleepers = new();
    private readonly WakeStrategy _wake;
    private long _publishedBytes;
    private bool _closed;

    public RoomRing(
        long maxBacklog,
        int maxCapacity = DefaultMaxCapacity,
        WakeCoalescing wakeCoalescing = default,
        IWakeScheduler? wakeScheduler = null,
        TimeProvider? time = null)
    {
        _backlog = new BacklogPolicy(maxBacklog, maxCapacity);
        _ring = new BroadcastRing<RoomLine, ChatSeat>(maxCapacity);
        _wake = WakeStrategy.Create(_sleepers, wakeCoalescing, wakeScheduler, time);
    }

    /// <summary>Members currently reading the ring (immutable snapshot).</summary>
    public ChatSeat[] Seats => _ring.Readers;

    /// <summary>Sequence of the last line published, -1 before the first.</summary>
    public long Published => _ring.Published;

    /// <summary>Bytes published since the room was created.</summary>
    public long PublishedBytes => Volatile.Read(ref _publishedBytes);

    /// <summary>Current slot count (grows while a reader within its limit lags a whole ring behind).</summary>
    public int Capacity => _ring.Capacity;

    /// <summary>Gets a value indicating whether a deferred wake-up is scheduled.</summary>
    internal bool WakePending => _wake.Pending;

    /// <summary>
    /// Publishes <paramref name="message"/> to every seat except <paramref name="except"/>'s (the ring takes its
    /// own reference). Members whose backlog is found over the limit are added to <paramref name="slow"/>.
    /// </summary>
    public void Publish(ChatMessage message, ChatMember? except, ref List<ChatMember>? slow)
    {
        lock (_lock)
        {
            if (_closed)
            {
                // A relay racing the last member out of the room: nobody is left to read it.
                return;
            }

            List<ChatSeat>? lagging = null;
            message.AddRef();
            _ring.Publish(new RoomLine(message, except), ref lagging);
            if (lagging is not null)
            {
                foreach (ChatSeat seat in lagging)
                {
                    (slow ??= []).Add(seat.Member);
                }
            }

            long bytes = _publishedBytes + message.Length;
            Volatile.Write(ref _publishedBytes, bytes);
            if (except?.Seat is { } own && own.Room.Ring == this)
            {
                // The sender never receives its own line: not part of its backlog.
                Volatile.Write(ref own.SkippedBytes, own.SkippedBytes + message.Length);
            }

            if (_backlog.ScanDue(bytes))
            {
                ScanLocked(ref slow);
            }

            _wake.Published();
        }

        if (WakeBatch.Active)
        {
            WakeBatch.Add(this);
            return;
        }

        Wake();
    }

    /// <summary>Wakes the sleepers, if any, through the room's strategy (run at once or at a batch's end).</summary>
    public void Wake()
    {
        // Pairs with the fence in Park: either the sleeper sees the line or we see the sleeper.
        Interlocked.MemoryBarrier();
        if (_sleepers.Any)
        {
            _wake.Signal();
        }
    }

    /// <summary>Seats a reader at the head of the ring: it gets every line published from now on.</summary>
    public void Enter(ChatSeat seat)
    {
        lock (_lock)
        {
            seat.ConsumedBytes = _publishedBytes;
            seat.SkippedBytes = 0;
            _ring.Add(seat);
            _wake.ReadersChanged(_ring.Readers.Length);
        }
    }

    /// <summary>
    /// Unseats a reader. With <paramref name="tail"/>, the lines it has not read yet (and that are not its own)
    /// are appended to it with their sequences, each with a reference the caller now owns. Call under the
    /// member's lock, so no drain of this seat runs at the same time.
    /// </summary>
    public void Leave(ChatSeat seat, List<(long Sequence, ChatMessage Message)>? tail)
    {
        lock (_lock)
        {
            if (Array.IndexOf(_ring.Readers, seat) < 0)
            {
                return;
            }

            if (tail is not null)
            {
                long published = _ring.Published;
                for (long next = seat.Cursor; next <= published && _ring.TryGet(next, out RoomLine line); next++)
                {
                    if (line.Except != seat.Member)
                    {
                        line.Message.AddRef();
                        tail.Add((next, line.Message));
                    }
                }

                seat.Cursor = published + 1;
            }

            _ring.Remove(seat);
            _wake.ReadersChanged(_ring.Readers.Length);
        }
    }

    /// <summary>
    /// Copies the seat's unread lines (skipping its own) into <paramref name="output"/>, up to sequence
    /// <paramref name="upTo"/> (exclusive) or until <paramref name="budget"/> bytes were written. Lock-free;
    /// only the seat's member calls it, one drain at a time.
    /// </summary>
    /// <returns>Bytes written.</returns>
    public long Read(ChatSeat seat, IBufferWriter<byte> output, long upTo, long budget)
    {
        long next = seat.Cursor;
        long written = 0;
        while (next < upTo && written < budget && _ring.TryGet(next, out RoomLine line))
        {
            if (line.Except != seat.Member)
            {
                output.Write(line.Message.Span);
                written += line.Message.Length;
            }

            next++;
        }

        Volatile.Write(ref seat.ConsumedBytes, seat.ConsumedBytes + written);
        Volatile.Write(ref seat.Cursor, next);
        return written;
    }

    /// <summary>Bytes published that the seat has not read yet.</summary>
    public long BacklogOf(ChatSeat seat) =>
        Volatile.Read(ref _publishedBytes) - Volatile.Read(ref seat.ConsumedBytes) - Volatile.Read(ref seat.SkippedBytes);

    /// <summary>
    /// The seat caught up: it sleeps until the next publish wakes its member's sink. Returns false when a line
    /// arrived meanwhile (read again instead of sleeping).
    /// </summary>
    public bool Park(ChatSeat seat)
    {
        _sleepers.Add(seat);

        // Add is a full fence: this read cannot move before the push.
        return _ring.Published < seat.Cursor;
    }

    /// <summary>The room is gone: drop the ring's references.</summary>
    public void Close()
    {
        lock (_lock)
        {
            _closed = true;
            _ring.Close();
        }
    }

    /// <summary>
    /// Every so many bytes: reports readers over the backlog limit, and lets the ring shrink back once the
    /// reader it grew for has caught up or left.
    /// </summary>
    private void ScanLocked(ref List<ChatMember>? slow)
    {
        foreach (ChatSeat seat in _ring.Readers)
        {
            if (!seat.ReportedSlow && _backlog.IsOver(BacklogOf(seat)))
            {
                seat.ReportedSlow = true;
                (slow ??= []).Add(seat.Member);
            }
        }

        _ring.Compact();
    }
}
