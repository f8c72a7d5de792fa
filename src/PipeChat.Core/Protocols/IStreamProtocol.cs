namespace PipeChat.Protocols;

/// <summary>Creates a session per accepted connection.</summary>
public interface IStreamProtocol
{
    /// <summary>Short protocol name for logs and the ready line ("echo", "chat").</summary>
    string Name { get; }

    /// <summary>A session for a new connection; <paramref name="connection"/> lets it push output on its own.</summary>
    IStreamSession CreateSession(IConnectionOutput connection);

    /// <summary>
    /// The server is shutting down: last words to every session (chat: "* server shutting down").
    /// Called once, after accepting stopped and before connections are asked to finish.
    /// </summary>
    void OnServerStopping();

    /// <summary>Sent to a connection refused because the server is full, before it is closed (chat: "! server full"); empty: closed without a word.</summary>
    ReadOnlySpan<byte> ServerFullReply => default;
}
