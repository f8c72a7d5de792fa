using System.Buffers;

namespace PipeChat.Protocols;

/// <summary>
/// Optional: a session that also has output from elsewhere (e.g. chat broadcasts) implements
/// this so the model can drain it in batches whenever <see cref="IConnectionOutput.Signal"/> fires.
/// </summary>
public interface IOutboundSource
{
    /// <summary>Writes everything pending into <paramref name="output"/>; returns false when the session wants to close.</summary>
    bool DrainTo(IBufferWriter<byte> output);
}
