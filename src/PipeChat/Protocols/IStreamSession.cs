using System.Buffers;

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

/// <summary>
/// The sans-I/O side of one stream connection: bytes in, bytes out, no sockets.
/// Every connection model (iterative, threads, async) drives a session the same way,
/// so a protocol is written once and a model never knows which protocol it carries.
/// </summary>
public interface IStreamSession
{
    /// <summary>
    /// Handles buffered input. Replies go to <paramref name="output"/>; the model sends them.
    /// <paramref name="consumed"/> is how far the input was used; the rest is offered again
    /// with more bytes appended. <paramref name="inputEnded"/> is true once the peer has shut
    /// down its sending side: no more input will come.
    /// </summary>
    SessionAction OnInput(in ReadOnlySequence<byte> input, bool inputEnded, IBufferWriter<byte> output, out SequencePosition consumed);

    /// <summary>After <see cref="SessionAction.Pause"/>: how long until input may be offered again.</summary>
    TimeSpan InputPause { get; }

    /// <summary>Called once when the connection is gone, whatever the reason.</summary>
    void OnClosed();
}

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

/// <summary>
/// Lets a session send bytes that were not a reply to its own input (chat broadcast), and
/// close its connection. Implemented by every connection model.
/// </summary>
public interface IConnectionOutput
{
    /// <summary>Asks the model to send what <see cref="IOutboundSource"/> holds; safe from any thread.</summary>
    void Signal();

    /// <summary>Asks the model to flush and close; safe from any thread.</summary>
    void RequestClose();

    /// <summary>Closes at once, dropping unsent output (a member cut off as too slow); safe from any thread.</summary>
    void Abort();
}

/// <summary>
/// Optional: a session that also has output from elsewhere (e.g. chat broadcasts) implements
/// this so the model can drain it in batches whenever <see cref="IConnectionOutput.Signal"/> fires.
/// </summary>
public interface IOutboundSource
{
    /// <summary>Writes everything pending into <paramref name="output"/>; returns false when the session wants to close.</summary>
    bool DrainTo(IBufferWriter<byte> output);
}
