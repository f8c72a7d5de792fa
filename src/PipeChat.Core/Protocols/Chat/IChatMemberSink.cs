namespace PipeChat.Protocols.Chat;

/// <summary>
/// The transport side of one TCP chat member, driven by <see cref="ChatHub"/>. The hub never pushes bytes:
/// it wakes the sink, and the transport pulls the member's output with <see cref="ChatMember.DrainTo"/>
/// from its own loop.
/// </summary>
/// <remarks>
/// Every method may be called from any thread, concurrently, and while the hub holds its locks, so they must
/// be quick, never block, never drain inline and never call back into the hub.
/// </remarks>
public interface IChatMemberSink
{
    /// <summary>
    /// The member has new output: call <see cref="ChatMember.DrainTo"/> soon. Wake-ups may come in bursts and
    /// spuriously; one drain after the latest wake-up is enough.
    /// </summary>
    void Wake();

    /// <summary>
    /// The member left: drain what is queued (its last line included), send it and close. Idempotent.
    /// </summary>
    void Close();

    /// <summary>The member was cut off as too slow: close at once, dropping unsent output. Idempotent.</summary>
    void Abort();
}
