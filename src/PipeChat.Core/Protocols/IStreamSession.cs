using System.Buffers;

namespace PipeChat.Protocols;

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
