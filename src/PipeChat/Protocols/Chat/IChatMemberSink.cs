namespace PipeChat.Protocols.Chat;

/// <summary>
/// The outgoing side of one TCP chat connection, implemented by a transport and driven by <see cref="ChatHub"/>.
/// </summary>
/// <remarks>
/// Both methods may be called from any thread, concurrently, and while the hub holds its locks, so they must
/// be quick, never block, and never call back into the hub. The hub calls at most one
/// <see cref="TryDeliver"/> at a time per sink, in the order the member should see the lines.
/// </remarks>
public interface IChatMemberSink
{
    /// <summary>
    /// Queues <paramref name="message"/> for sending. On success the sink has taken its own reference with
    /// <see cref="ChatMessage.AddRef"/> and releases it once the bytes are written (or dropped); the caller
    /// keeps and releases its own reference independently.
    /// </summary>
    /// <returns>
    /// False, without taking a reference, when the connection is closed or the pending output is over the
    /// per-member limit. The hub then cuts the member off as too slow and stops delivering to it.
    /// </returns>
    bool TryDeliver(ChatMessage message);

    /// <summary>
    /// Asks the transport to close the connection once what is already queued is flushed. Called when the
    /// member leaves the hub for any reason and on shutdown; may come more than once, so it must be idempotent.
    /// Once it has been called the hub never calls <see cref="TryDeliver"/> on this sink again.
    /// </summary>
    void Close();
}
