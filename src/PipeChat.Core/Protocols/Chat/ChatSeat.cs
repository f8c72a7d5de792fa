namespace PipeChat.Protocols.Chat;

/// <summary>
/// One stay of one member in one room, and its reader state in the room's <see cref="RoomRing"/>: a cursor
/// (<see cref="RingReader"/>) and byte counts. A new seat is made for every room a member enters, so a stale
/// seat can never read the wrong room.
/// </summary>
internal sealed class ChatSeat(ChatMember member, ChatRoom room) : RingReader
{
    /// <summary>Room bytes read so far; with <see cref="SkippedBytes"/>, what the backlog is measured from.</summary>
    internal long ConsumedBytes;

    /// <summary>Bytes of the member's own lines published here: passed over, never sent, so never a backlog.</summary>
    internal long SkippedBytes;

    /// <summary>1 while on the ring's sleeper list.</summary>
    internal int Parked;

    /// <summary>Link in the ring's sleeper list.</summary>
    internal ChatSeat? NextSleeper;

    public ChatMember Member { get; } = member;

    public ChatRoom Room { get; } = room;
}
