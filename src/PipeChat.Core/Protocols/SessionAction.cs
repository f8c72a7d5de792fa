namespace PipeChat.Protocols;

/// <summary>What a session asks of its connection after handling input.</summary>
public enum SessionAction
{
    /// <summary>Keep reading.</summary>
    Continue,

    /// <summary>Flush what was written, then close the connection.</summary>
    Close,

    /// <summary>
    /// Handled what it may for now (a rate limit): offer the input again, and read nothing more from the
    /// socket, only once <see cref="IStreamSession.InputPause"/> has passed. Unread input stays in the
    /// kernel's buffers, so TCP backpressure reaches the sender.
    /// </summary>
    Pause,
}
