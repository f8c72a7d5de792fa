namespace PipeChat.Protocols.Chat;

/// <summary>
/// One datagram <see cref="UdpChatRegistry{TKey}"/> wants sent. The reply owns one reference to
/// <see cref="Message"/>: the caller sends <c>Message.Memory</c> to <see cref="Destination"/>, then calls
/// <c>Message.Release()</c> once (also when the send fails or is skipped).
/// </summary>
/// <remarks>The bytes include the final <c>\n</c>; a datagram transport may send them as they are.</remarks>
public readonly record struct UdpChatReply<TKey>(TKey Destination, ChatMessage Message)
    where TKey : notnull;
