namespace PipeChat.Protocols.Chat;

/// <summary>
/// One parsed chat line. A ref struct over the caller's bytes, so parsing never copies or allocates.
/// </summary>
/// <remarks>
/// <see cref="Argument"/> depends on <see cref="Kind"/>:
/// <list type="bullet">
/// <item><see cref="ChatCommandKind.Message"/>: the text to relay (for <c>//x</c> it is <c>/x</c>).</item>
/// <item><see cref="ChatCommandKind.Nick"/>, <see cref="ChatCommandKind.Join"/>: the rest of the line with
/// spaces trimmed; may be empty or contain spaces, which name validation then rejects.</item>
/// <item><see cref="ChatCommandKind.Who"/>, <see cref="ChatCommandKind.Rooms"/>, <see cref="ChatCommandKind.Quit"/>,
/// <see cref="ChatCommandKind.Help"/>:
/// the rest of the line, which the hub ignores (<c>/quit see you</c> still quits).</item>
/// <item><see cref="ChatCommandKind.Unknown"/>: the <c>/word</c> itself, up to the first space.</item>
/// </list>
/// Commands are lower case and matched exactly: <c>/NICK</c> and <c>/nickname</c> are unknown.
/// </remarks>
internal ref struct ChatCommand
{
    private ChatCommand(ChatCommandKind kind, ReadOnlySpan<byte> argument)
    {
        Kind = kind;
        Argument = argument;
    }

    /// <summary>What the line asks for.</summary>
    public ChatCommandKind Kind { get; }

    /// <summary>The part of the line the command works on; see the remarks on the type.</summary>
    public ReadOnlySpan<byte> Argument { get; }

    /// <summary>Parses one line (without its <c>\r\n</c>).</summary>
    public static ChatCommand Parse(ReadOnlySpan<byte> line)
    {
        if (line.IsEmpty)
        {
            return new(ChatCommandKind.Empty, default);
        }

        if (line[0] != (byte)'/')
        {
            return new(ChatCommandKind.Message, line);
        }

        if (line.Length > 1 && line[1] == (byte)'/')
        {
            return new(ChatCommandKind.Message, line[1..]);
        }

        int space = line.IndexOf((byte)' ');
        ReadOnlySpan<byte> word = space < 0 ? line : line[..space];
        ReadOnlySpan<byte> rest = space < 0 ? default : line[(space + 1)..].Trim((byte)' ');

        ChatCommandKind kind = KindOf(word);
        return new(kind, kind == ChatCommandKind.Unknown ? word : rest);
    }

    private static ChatCommandKind KindOf(ReadOnlySpan<byte> word)
    {
        if (word.SequenceEqual("/nick"u8))
        {
            return ChatCommandKind.Nick;
        }

        if (word.SequenceEqual("/join"u8))
        {
            return ChatCommandKind.Join;
        }

        if (word.SequenceEqual("/who"u8))
        {
            return ChatCommandKind.Who;
        }

        if (word.SequenceEqual("/rooms"u8))
        {
            return ChatCommandKind.Rooms;
        }

        if (word.SequenceEqual("/quit"u8))
        {
            return ChatCommandKind.Quit;
        }

        return word.SequenceEqual("/help"u8) ? ChatCommandKind.Help : ChatCommandKind.Unknown;
    }
}
