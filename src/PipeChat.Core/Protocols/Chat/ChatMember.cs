using System.Buffers;

namespace PipeChat.Protocols.Chat;

/// <summary>
/// One TCP chat member as the hub sees it: name, current room, and the output waiting for it.
/// Created by <see cref="ChatHub.Connect"/>; the transport passes it back on every call and pulls the
/// member's output with <see cref="DrainTo"/> whenever the sink is woken.
/// </summary>
/// <remarks>
/// <para>
/// A member's output has two sources merged in order: the room's shared <see cref="RoomRing"/>, read
/// through the member's cursor, and a small private queue for lines meant for this member alone (welcome,
/// replies, errors, <c>* joined ROOM</c>). Each private line remembers the ring position it was queued at,
/// and the drain emits room lines before that position first, so the member sees everything in the order
/// it happened.
/// </para>
/// <para>
/// A small per-member lock covers the private queue, the seat change and the drain; room lines are
/// published without it. Leaving a room copies the lines not yet read from it into the private queue, so
/// a member never loses what was said before it left and never sees the old room after <c>* joined</c>.
/// </para>
/// </remarks>
public sealed class ChatMember
{
    /// <summary>
    /// A drain hands the transport at most this much before it yields (and asks to be woken again), so a
    /// backlog stays in the ring, where it is shared and counted, rather than in one member's socket buffers.
    /// </summary>
    internal const int DrainBudget = 64 * 1024;

    private readonly Lock _lock = new();
    private readonly Queue<PrivateLine> _private = new();
    private readonly long _maxPending;
    private long _privateBytes;
    private ChatSeat? _seat;
    private bool _muted;
    private volatile bool _left;
    private volatile bool _claimPending;
    private string _name;
    private byte[] _nameBytes;

    internal ChatMember(IChatMemberSink sink, long id, string name, byte[] nameBytes, long maxPending)
    {
        Sink = sink;
        Id = id;
        _name = name;
        _nameBytes = nameBytes;
        _maxPending = maxPending;
    }

    /// <summary>Where wake-ups and close requests for this member go.</summary>
    public IChatMemberSink Sink { get; }

    /// <summary>Connection number within the hub, for logs.</summary>
    public long Id { get; }

    /// <summary>Current name (changes with <c>/nick</c>).</summary>
    public string Name => Volatile.Read(ref _name);

    /// <summary>Current room, or null once the member has left the hub.</summary>
    public string? RoomName => Seat?.Room.Name;

    /// <summary>True once the member left (quit, cut off or disconnected); the hub ignores it from then on.</summary>
    public bool HasLeft => _left;

    /// <summary>Bytes waiting for this member: its private lines plus the room lines it has not read.</summary>
    public long PendingBytes
    {
        get
        {
            lock (_lock)
            {
                return PendingLocked();
            }
        }
    }

    /// <summary>Current seat; changed only under the hub lock, read lock-free.</summary>
    internal ChatSeat? Seat => Volatile.Read(ref _seat);

    /// <summary>UTF-8 (ASCII) form of <see cref="Name"/>, used to encode <c>&lt;NAME&gt; text</c>.</summary>
    internal byte[] NameBytes => Volatile.Read(ref _nameBytes);

    /// <summary>
    /// Writes this member's pending lines, in order, into <paramref name="output"/>. Called by the transport
    /// after <see cref="IChatMemberSink.Wake"/>, one call at a time, never inside the hub.
    /// </summary>
    /// <returns>
    /// True when it stopped at <see cref="DrainBudget"/> with more pending: the transport must call again
    /// once this batch is on its way. False when everything was written (the member sleeps until woken).
    /// Once the member's last line is queued (it left), the budget no longer applies: one call writes all.
    /// </returns>
    public bool DrainTo(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        lock (_lock)
        {
            long budget = _muted ? long.MaxValue : DrainBudget;
            long written = 0;
            while (written < budget)
            {
                ChatSeat? seat = _seat;
                if (_private.TryPeek(out PrivateLine line))
                {
                    if (seat is not null && line.Barrier > seat.Cursor)
                    {
                        // Room lines published before this private line go first.
                        written += seat.Room.Ring.Read(seat, output, line.Barrier, budget - written);
                        if (seat.Cursor < line.Barrier && written < budget)
                        {
                            throw new InvalidOperationException("A room line before a private line was not published.");
                        }

                        continue;
                    }

                    _private.Dequeue();
                    output.Write(line.Message.Span);
                    written += line.Message.Length;
                    _privateBytes -= line.Message.Length;
                    line.Message.Release();
                    continue;
                }

                if (seat is null)
                {
                    return false;
                }

                written += seat.Room.Ring.Read(seat, output, long.MaxValue, budget - written);
                if (written < budget && seat.Room.Ring.Park(seat))
                {
                    return false;
                }
            }

            return true;
        }
    }

    /// <summary>Called under the hub lock.</summary>
    internal void Rename(string name, byte[] nameBytes)
    {
        Volatile.Write(ref _nameBytes, nameBytes);
        Volatile.Write(ref _name, name);
    }

    /// <summary>Called under the hub lock; makes leaving idempotent.</summary>
    internal void MarkLeft() => _left = true;

    /// <summary>A /nick of this member is being claimed across the cluster; its input waits meanwhile.</summary>
    internal bool ClaimPending
    {
        get => _claimPending;
        set => _claimPending = value;
    }

    /// <summary>
    /// Queues a line for this member alone, after every room line published so far.
    /// Returns false only the first time the member's pending output would pass its limit: the caller must
    /// then cut the member off. Nothing is queued once its last line was.
    /// </summary>
    internal bool Deliver(ChatMessage message)
    {
        bool accepted;
        lock (_lock)
        {
            accepted = EnqueueLocked(message);
        }

        Sink.Wake();
        return accepted;
    }

    /// <summary>
    /// Moves the member to <paramref name="seat"/> (null: out of every room) and queues <paramref name="line"/>
    /// in one step: room lines not yet read from the old room stay queued ahead of it, nothing from the new
    /// room comes before it. With <paramref name="last"/> the line is the final one. With
    /// <paramref name="discard"/> every pending line is dropped instead (a member cut off or gone).
    /// Called under the hub lock. Same return rule as <see cref="Deliver"/>.
    /// </summary>
    internal bool MoveTo(ChatSeat? seat, ChatMessage? line, bool last, bool discard = false)
    {
        bool accepted;
        lock (_lock)
        {
            if (discard)
            {
                _seat?.Room.Ring.Leave(_seat, tail: null);
                DiscardPrivateLocked();
                _muted = true;
            }
            else if (_seat is not null)
            {
                KeepUnreadLocked(_seat);
            }

            if (seat is not null)
            {
                seat.Room.Ring.Enter(seat);
            }

            Volatile.Write(ref _seat, seat);

            // Before the new room's first line, even if someone published there since Enter.
            accepted = line is null || EnqueueLocked(line, barrier: seat?.Cursor ?? 0);
            _muted |= last;
        }

        if (!discard)
        {
            Sink.Wake();
        }

        return accepted;
    }

    /// <summary>The connection is gone: drops whatever is still queued. Call after the member left the hub.</summary>
    internal void DiscardOutput()
    {
        lock (_lock)
        {
            _muted = true;
            DiscardPrivateLocked();
        }
    }

    private bool EnqueueLocked(ChatMessage message) =>
        EnqueueLocked(message, _seat is { } seat ? seat.Room.Ring.Published + 1 : 0);

    /// <summary>Queues a private line to go out before room sequence <paramref name="barrier"/>.</summary>
    private bool EnqueueLocked(ChatMessage message, long barrier)
    {
        if (_muted)
        {
            return true;
        }

        if (PendingLocked() + message.Length > _maxPending)
        {
            // Refused once: queue nothing more, so only this caller reports it.
            _muted = true;
            return false;
        }

        message.AddRef();
        _private.Enqueue(new PrivateLine(message, barrier));
        _privateBytes += message.Length;
        return true;
    }

    private long PendingLocked() => _privateBytes + (_seat is { } seat ? seat.Room.Ring.BacklogOf(seat) : 0);

    /// <summary>
    /// Leaves <paramref name="seat"/>'s ring, merging its unread lines into the private queue in order:
    /// every queued line now comes before anything from the next room.
    /// </summary>
    private void KeepUnreadLocked(ChatSeat seat)
    {
        var tail = new List<(long Sequence, ChatMessage Message)>();
        seat.Room.Ring.Leave(seat, tail);
        int t = 0;
        int count = _private.Count;
        for (int i = 0; i < count; i++)
        {
            PrivateLine line = _private.Dequeue();
            for (; t < tail.Count && tail[t].Sequence < line.Barrier; t++)
            {
                AppendUnread(tail[t].Message);
            }

            _private.Enqueue(line with { Barrier = 0 });
        }

        for (; t < tail.Count; t++)
        {
            AppendUnread(tail[t].Message);
        }
    }

    private void AppendUnread(ChatMessage message)
    {
        // The reference was taken by the ring for us.
        _private.Enqueue(new PrivateLine(message, 0));
        _privateBytes += message.Length;
    }

    private void DiscardPrivateLocked()
    {
        while (_private.TryDequeue(out PrivateLine line))
        {
            line.Message.Release();
        }

        _privateBytes = 0;
    }

    /// <summary>A line for this member alone, to go after room sequence <see cref="Barrier"/> - 1.</summary>
    private readonly record struct PrivateLine(ChatMessage Message, long Barrier);
}
