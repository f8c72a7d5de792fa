namespace PipeChat.Protocols.Lines;

/// <summary>Outcome of <see cref="LineFramer.TryReadLine"/>.</summary>
public enum LineStatus
{
    /// <summary>A complete line was cut off the front of the buffer.</summary>
    Line,

    /// <summary>No complete line yet and nothing over the limit: read more bytes.</summary>
    NeedMore,

    /// <summary>The first line (complete or not) is longer than the limit: the connection must be dropped.</summary>
    TooLong,
}
