namespace PipeChat.Protocols.Chat;

/// <summary>
/// One stay of one member in one room. Room snapshots hold seats, and a delivery through a seat only
/// happens while it is still the member's current seat: that check is what keeps a relay working from a
/// stale snapshot from reaching a member who has meanwhile left (or left and come back).
/// </summary>
internal sealed class ChatSeat(ChatMember member, ChatRoom room)
{
    public ChatMember Member { get; } = member;

    public ChatRoom Room { get; } = room;
}
