namespace PipeChat.Protocols.Chat;

/// <summary>A line in a room's ring: the encoded message, and the member it is not for (its sender), if any.</summary>
internal readonly record struct RoomLine(ChatMessage Message, ChatMember? Except) : IRingItem
{
    public void Release() => Message.Release();
}
