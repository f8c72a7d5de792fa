using System.Buffers;
using System.Diagnostics;
using System.Numerics;

namespace PipeChat.Protocols.Chat;

/// <summary>
/// A room's broadcast channel, Disruptor style: one shared ring of encoded lines per room, and per member
/// nothing but a cursor (<see cref="ChatSeat.Cursor"/>). Publishing a line is O(1) whatever the room size:
/// the line is stored once, and only members that had caught up and went to sleep are woken.
/// </summary>
/// <remarks>
/// <para>
/// Writers (relays from any connection, notices under the hub lock) serialise on a small per-room lock that
/// covers just the slot write; readers never lock the ring. A slot is published by writing its sequence
/// last, so a reader that sees <c>slot.Sequence == cursor</c> sees the whole slot.
/// </para>
/// <para>
/// Nobody waits for a slow reader. A slot is reused only once every seated reader has passed it; when the
/// slowest has not, the ring doubles instead. Readers whose backlog passes the per-member limit are reported
/// to the hub, which cuts them off (and so removes their cursor), which is what bounds the ring.
/// </para>
/// <para>
/// Wake-ups can be coalesced (<see cref="WakeCoalescing"/>; by default 10 µs per member): sleepers are woken
/// at once unless the room woke them less than its coalescing window ago; then one deferred wake-up
/// (<see cref="WakeScheduler"/>) takes every line published meanwhile. A quiet room delivers at once; a busy
/// one sends several lines per wake-up and per send instead of one each.
/// </para>
/// <para>
/// The ring holds one reference to each line until its slot is reused, the ring shrinks or the room closes:
/// at most one ring's worth of lines everyone has read stays alive.
/// </para>
/// </remarks>
internal sealed class RoomRing
{
    private const int InitialCapacity = 256;

    // Rings published to during this thread's current batch (see BeginBatch).
    [ThreadStatic]
    private static List<RoomRing>? t_batchRings;

    [ThreadStatic]
    private static int t_batchDepth;

    /// <summary>
    /// Backlogs bound the ring in bytes; this bounds it in lines too (24 MiB of slots), whatever a reader's
    /// reason for not moving: readers a whole ring behind at this size are cut off.
    /// </summary>
    public const int DefaultMaxCapacity = 1 << 20;

    private readonly Lock _lock = new();
    private readonly long _maxBacklog;
    private readonly long _scanInterval;
    private readonly int _maxCapacity;
    private readonly WakeCoalescing _coalescing;
    private Slot[] _slots;
    private ChatSeat[] _seats = [];
    private ChatSeat? _sleepers;
    private long _published = -1;
    private long _publishedBytes;
    private long _nextScan;
    private long _minCursor;
    private long _released;
    private long _lastWake;
    private int _wakeScheduled;

    // The room's window (it may depend on the room's size): 0 wakes at once.
    private long _coalescingTicks;
    private bool _closed;

    public RoomRing(long maxBacklog, int maxCapacity = DefaultMaxCapacity, WakeCoalescing wakeCoalescing = default)
    {
        _coalescing = wakeCoalescing;
        _coalescingTicks = CoalescingTicksFor(0);
        _maxBacklog = maxBacklog;
        _maxCapacity = Math.Max(InitialCapacity, maxCapacity);

        // Backlogs are checked every so many bytes: a slow member is seen at most this late.
        _scanInterval = Math.Clamp(maxBacklog / 16, 1, 64 * 1024);
        _nextScan = _scanInterval;
        _slots = NewSlots(InitialCapacity);
    }

    /// <summary>Members currently reading the ring (immutable snapshot).</summary>
    public ChatSeat[] Seats => Volatile.Read(ref _seats);

    /// <summary>Sequence of the last line published, -1 before the first.</summary>
    public long Published => Volatile.Read(ref _published);

    /// <summary>Bytes published since the room was created.</summary>
    public long PublishedBytes => Volatile.Read(ref _publishedBytes);

    /// <summary>Current slot count (grows while a reader within its limit lags a whole ring behind).</summary>
    public int Capacity => Volatile.Read(ref _slots).Length;

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

            long sequence = _published + 1;
            Slot[] slots = _slots;
            if (sequence - slots.Length >= _minCursor)
            {
                _minCursor = MinCursorLocked(sequence);
                if (sequence - slots.Length >= _minCursor)
                {
                    // The slowest reader (within its limit) is a whole ring behind: grow, never wait.
                    if (slots.Length >= _maxCapacity)
                    {
                        ReportLaggingLocked(sequence - slots.Length, ref slow);
                    }

                    ReleaseReadLocked(_minCursor);
                    slots = ResizeLocked(slots.Length * 2, _minCursor, sequence);
                }
            }

            ref Slot slot = ref slots[sequence & (slots.Length - 1)];
            slot.Message?.Release();
            message.AddRef();
            slot.Message = message;
            slot.Except = except;
            Volatile.Write(ref slot.Sequence, sequence);
            Volatile.Write(ref _published, sequence);
            long bytes = _publishedBytes + message.Length;
            Volatile.Write(ref _publishedBytes, bytes);
            if (except?.Seat is { } own && own.Room.Ring == this)
            {
                // The sender never receives its own line: not part of its backlog.
                Volatile.Write(ref own.SkippedBytes, own.SkippedBytes + message.Length);
            }

            if (bytes >= _nextScan)
            {
                _nextScan = bytes + _scanInterval;
                ScanLocked(sequence + 1, ref slow);
            }
        }

        if (t_batchDepth > 0)
        {
            List<RoomRing> rings = t_batchRings ??= [];
            if (rings.Count == 0 || rings[^1] != this)
            {
                rings.Add(this);
            }

            return;
        }

        WakeIfSleeping();
    }

    /// <summary>
    /// Starts a batch on this thread (the lines of one receive): wake-ups for what it publishes wait for
    /// <see cref="EndBatch"/>, so members woken by it find every line of the batch and send them at once.
    /// Batches nest; only the outermost end wakes.
    /// </summary>
    public static void BeginBatch() => t_batchDepth++;

    /// <summary>Ends the batch started by <see cref="BeginBatch"/>, waking the sleepers of every ring it published to.</summary>
    public static void EndBatch()
    {
        if (--t_batchDepth > 0 || t_batchRings is not { Count: > 0 } rings)
        {
            return;
        }

        foreach (RoomRing ring in rings)
        {
            ring.WakeIfSleeping();
        }

        rings.Clear();
    }

    private void WakeIfSleeping()
    {
        // Pairs with the fence in Park: either the sleeper sees the line or we see the sleeper.
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _sleepers) is not null)
        {
            WakeOrDefer();
        }
    }

    /// <summary>Seats a reader at the head of the ring: it gets every line published from now on.</summary>
    public void Enter(ChatSeat seat)
    {
        lock (_lock)
        {
            seat.Cursor = _published + 1;
            seat.ConsumedBytes = _publishedBytes;
            seat.SkippedBytes = 0;
            ChatSeat[] old = _seats;
            var seats = new ChatSeat[old.Length + 1];
            old.CopyTo(seats, 0);
            seats[^1] = seat;
            Volatile.Write(ref _seats, seats);
            Volatile.Write(ref _coalescingTicks, CoalescingTicksFor(seats.Length));
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
            ChatSeat[] old = _seats;
            int index = Array.IndexOf(old, seat);
            if (index < 0)
            {
                return;
            }

            if (tail is not null)
            {
                Slot[] slots = _slots;
                for (long next = seat.Cursor; next <= _published; next++)
                {
                    ref Slot slot = ref slots[next & (slots.Length - 1)];
                    if (slot.Except != seat.Member)
                    {
                        slot.Message!.AddRef();
                        tail.Add((next, slot.Message));
                    }
                }

                seat.Cursor = _published + 1;
            }

            var seats = new ChatSeat[old.Length - 1];
            Array.Copy(old, 0, seats, 0, index);
            Array.Copy(old, index + 1, seats, index, old.Length - index - 1);
            Volatile.Write(ref _seats, seats);
            Volatile.Write(ref _coalescingTicks, CoalescingTicksFor(seats.Length));
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
        Slot[] slots = Volatile.Read(ref _slots);
        while (next < upTo && written < budget)
        {
            ref Slot slot = ref slots[next & (slots.Length - 1)];
            if (Volatile.Read(ref slot.Sequence) != next)
            {
                // Not published yet, or published into a ring that has since grown.
                Slot[] current = Volatile.Read(ref _slots);
                if (current == slots)
                {
                    break;
                }

                slots = current;
                continue;
            }

            ChatMessage message = slot.Message!;
            if (slot.Except != seat.Member)
            {
                output.Write(message.Span);
                written += message.Length;
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
        if (Interlocked.Exchange(ref seat.Parked, 1) == 0)
        {
            ChatSeat? head;
            do
            {
                head = Volatile.Read(ref _sleepers);
                seat.NextSleeper = head;
            }
            while (Interlocked.CompareExchange(ref _sleepers, seat, head) != head);
        }

        // The exchange/CAS above is a full fence: this read cannot move before the push.
        return Volatile.Read(ref _published) < seat.Cursor;
    }

    /// <summary>The room is gone: drop the ring's references.</summary>
    public void Close()
    {
        lock (_lock)
        {
            _closed = true;
            foreach (ref Slot slot in _slots.AsSpan())
            {
                slot.Message?.Release();
                slot.Message = null;
                slot.Except = null;
                slot.Sequence = -1;
            }
        }
    }

    private long CoalescingTicksFor(int members) =>
        (long)(_coalescing.WindowFor(members).TotalSeconds * Stopwatch.Frequency);

    private void WakeOrDefer()
    {
        long window = Volatile.Read(ref _coalescingTicks);
        if (window == 0)
        {
            WakeSleepers();
            return;
        }

        if (Volatile.Read(ref _wakeScheduled) != 0)
        {
            return; // The deferred wake-up is coming and will see this line.
        }

        long now = Stopwatch.GetTimestamp();
        long since = now - Volatile.Read(ref _lastWake);
        if (since >= window)
        {
            Volatile.Write(ref _lastWake, now);
            WakeSleepers();
            return;
        }

        if (Interlocked.Exchange(ref _wakeScheduled, 1) == 0)
        {
            WakeScheduler.Schedule(this, now - since + window);
        }
    }

    /// <summary>Gets a value indicating whether a deferred wake-up is scheduled.</summary>
    internal bool WakePending => Volatile.Read(ref _wakeScheduled) != 0;

    /// <summary>The deferred wake-up, run by <see cref="WakeScheduler"/>.</summary>
    internal void DeferredWake()
    {
        // Cleared before the sleepers are taken: a publish that finds a sleeper parked after this point
        // schedules (or makes) the next wake-up itself.
        Volatile.Write(ref _wakeScheduled, 0);
        Volatile.Write(ref _lastWake, Stopwatch.GetTimestamp());
        WakeSleepers();
    }

    private void WakeSleepers()
    {
        ChatSeat? seat = Interlocked.Exchange(ref _sleepers, null);
        while (seat is not null)
        {
            ChatSeat? next = seat.NextSleeper;
            seat.NextSleeper = null;
            Volatile.Write(ref seat.Parked, 0);
            try
            {
                seat.Member.Sink.Wake();
            }
#pragma warning disable CA1031 // Sinks must not throw; one that does must not cost the other sleepers their wake-up (or, on the timer thread, the process).
            catch (Exception)
#pragma warning restore CA1031
            {
            }

            seat = next;
        }
    }

    /// <summary>Reports every reader at or before <paramref name="sequence"/> as too slow.</summary>
    private void ReportLaggingLocked(long sequence, ref List<ChatMember>? slow)
    {
        foreach (ChatSeat seat in _seats)
        {
            if (!seat.ReportedSlow && Volatile.Read(ref seat.Cursor) <= sequence)
            {
                seat.ReportedSlow = true;
                (slow ??= []).Add(seat.Member);
            }
        }
    }

    private long MinCursorLocked(long sequence)
    {
        long min = sequence;
        foreach (ChatSeat seat in _seats)
        {
            min = Math.Min(min, Volatile.Read(ref seat.Cursor));
        }

        return min;
    }

    /// <summary>
    /// Moves the lines [<paramref name="from"/>, <paramref name="to"/>) into a ring of
    /// <paramref name="capacity"/> slots, each at its sequence. Readers still in the old array finish what it
    /// holds, then switch (see <see cref="Read"/>); the old array is never written again.
    /// </summary>
    private Slot[] ResizeLocked(int capacity, long from, long to)
    {
        Slot[] old = _slots;
        Slot[] resized = NewSlots(capacity);
        for (long s = from; s < to; s++)
        {
            resized[s & (resized.Length - 1)] = old[s & (old.Length - 1)];
        }

        Volatile.Write(ref _slots, resized);
        return resized;
    }

    /// <summary>Drops the ring's references to lines every seated reader has passed.</summary>
    private void ReleaseReadLocked(long min)
    {
        Slot[] slots = _slots;
        for (long s = Math.Max(_released, min - slots.Length); s < min; s++)
        {
            ref Slot slot = ref slots[s & (slots.Length - 1)];
            if (slot.Sequence == s && slot.Message is not null)
            {
                slot.Message.Release();
                slot.Message = null;
                slot.Except = null;
            }
        }

        _released = Math.Max(_released, min);
    }

    /// <summary>
    /// Every so many bytes: reports readers over the limit, and shrinks a ring that grew for a reader who has
    /// since caught up or left (letting go of the lines everyone has read). Lines are otherwise released one
    /// at a time as their slots are reused: releasing thousands at once would overflow the shared array
    /// pool and make the next publishes allocate.
    /// </summary>
    private void ScanLocked(long next, ref List<ChatMember>? slow)
    {
        long min = next;
        foreach (ChatSeat seat in _seats)
        {
            min = Math.Min(min, Volatile.Read(ref seat.Cursor));
            if (!seat.ReportedSlow && BacklogOf(seat) > _maxBacklog)
            {
                seat.ReportedSlow = true;
                (slow ??= []).Add(seat.Member);
            }
        }

        _minCursor = min;
        long live = next - min;
        int fitting = (int)Math.Max(InitialCapacity, BitOperations.RoundUpToPowerOf2((ulong)(live * 2)));
        if (fitting < _slots.Length / 2)
        {
            ReleaseReadLocked(min);
            ResizeLocked(fitting, min, next);
        }
    }

    private static Slot[] NewSlots(int capacity)
    {
        var slots = new Slot[capacity];
        foreach (ref Slot slot in slots.AsSpan())
        {
            slot.Sequence = -1;
        }

        return slots;
    }

    private struct Slot
    {
        public ChatMessage? Message;
        public ChatMember? Except;
        public long Sequence;
    }
}
