namespace PipeChat.Protocols.Chat;

/// <summary>
/// One TCP chat member as the hub sees it: name, current room and the sink its lines go to.
/// Created by <see cref="ChatHub.Connect"/>; the transport passes it back on every call.
/// </summary>
/// <remarks>
/// Every line for the member goes through a small per-member lock, so "is it still in this room?" and
/// "queue this line" happen as one step. That is what lets a relay run without the hub lock and still
/// never put an old room's message after the member's <c>* joined ROOM</c>.
/// </remarks>
public sealed class ChatMember
{
    private readonly Lock _delivery = new();
    private ChatSeat? _seat;
    private bool _muted;
    private volatile bool _left;
    private string _name;
    private byte[] _nameBytes;

    internal ChatMember(IChatMemberSink sink, long id, string name, byte[] nameBytes)
    {
        Sink = sink;
        Id = id;
        _name = name;
        _nameBytes = nameBytes;
    }

    /// <summary>Where this member's lines go.</summary>
    public IChatMemberSink Sink { get; }

    /// <summary>Connection number within the hub, for logs.</summary>
    public long Id { get; }

    /// <summary>Current name (changes with <c>/nick</c>).</summary>
    public string Name => Volatile.Read(ref _name);

    /// <summary>Current room, or null once the member has left the hub.</summary>
    public string? RoomName => Seat?.Room.Name;

    /// <summary>True once the member left (quit, cut off or disconnected); the hub ignores it from then on.</summary>
    public bool HasLeft => _left;

    /// <summary>Current seat; changed only under the hub lock, read lock-free.</summary>
    internal ChatSeat? Seat => Volatile.Read(ref _seat);

    /// <summary>UTF-8 (ASCII) form of <see cref="Name"/>, used to encode <c>&lt;NAME&gt; text</c>.</summary>
    internal byte[] NameBytes => Volatile.Read(ref _nameBytes);

    /// <summary>Called under the hub lock.</summary>
    internal void Rename(string name, byte[] nameBytes)
    {
        Volatile.Write(ref _nameBytes, nameBytes);
        Volatile.Write(ref _name, name);
    }

    /// <summary>Called under the hub lock; makes leaving idempotent.</summary>
    internal void MarkLeft() => _left = true;

    /// <summary>
    /// Delivers a room message if the member still sits in <paramref name="seat"/>; otherwise skips it.
    /// Returns false only the first time the sink refuses: the caller must then cut the member off.
    /// </summary>
    internal bool DeliverInRoom(ChatSeat seat, ChatMessage message)
    {
        lock (_delivery)
        {
            return _seat != seat || DeliverLocked(message);
        }
    }

    /// <summary>Delivers a line meant for this member only; same return rule as <see cref="DeliverInRoom"/>.</summary>
    internal bool Deliver(ChatMessage message)
    {
        lock (_delivery)
        {
            return DeliverLocked(message);
        }
    }

    /// <summary>
    /// Moves the member to <paramref name="seat"/> (null: out of every room) and queues <paramref name="line"/>
    /// in one step, so no message from the old seat can follow that line. With <paramref name="last"/> the line
    /// is the final one this member receives. Called under the hub lock. Same return rule as
    /// <see cref="DeliverInRoom"/>.
    /// </summary>
    internal bool MoveTo(ChatSeat? seat, ChatMessage? line, bool last)
    {
        lock (_delivery)
        {
            Volatile.Write(ref _seat, seat);
            bool accepted = line is null || DeliverLocked(line);
            _muted |= last;
            return accepted;
        }
    }

    private bool DeliverLocked(ChatMessage message)
    {
        if (_muted)
        {
            return true;
        }

        if (Sink.TryDeliver(message))
        {
            return true;
        }

        // Refused once: send nothing more, so only this caller reports it.
        _muted = true;
        return false;
    }
}
