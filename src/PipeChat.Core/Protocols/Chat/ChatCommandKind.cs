namespace PipeChat.Protocols.Chat;

/// <summary>What a chat line asks for (docs/protocols.md).</summary>
public enum ChatCommandKind
{
    /// <summary>An empty line: ignored.</summary>
    Empty,

    /// <summary>Plain text for the room (a leading <c>//</c> already turned into <c>/</c>).</summary>
    Message,

    /// <summary><c>/nick NEW</c>.</summary>
    Nick,

    /// <summary><c>/join ROOM</c>.</summary>
    Join,

    /// <summary><c>/who</c>.</summary>
    Who,

    /// <summary><c>/rooms</c>.</summary>
    Rooms,

    /// <summary><c>/quit</c>.</summary>
    Quit,

    /// <summary><c>/help</c>.</summary>
    Help,

    /// <summary>Any other <c>/word</c>.</summary>
    Unknown,
}
