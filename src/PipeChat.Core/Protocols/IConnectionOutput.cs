namespace PipeChat.Protocols;

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
