using System.Buffers;
using PipeChat.Protocols;

namespace PipeChat.Tests.Registries;

/// <summary>A trivial protocol: every byte comes back, ASCII letters in upper case.</summary>
internal sealed class UpperProtocol : IStreamProtocol, IStreamSession
{
    public string Name => "upper";

    public TimeSpan InputPause => TimeSpan.Zero;

    // Stateless: one session serves every connection.
    public IStreamSession CreateSession(IConnectionOutput connection) => this;

    public void OnServerStopping()
    {
    }

    public SessionAction OnInput(in ReadOnlySequence<byte> input, bool inputEnded, IBufferWriter<byte> output, out SequencePosition consumed)
    {
        foreach (var segment in input)
        {
            var span = output.GetSpan(segment.Length)[..segment.Length];
            for (var i = 0; i < segment.Length; i++)
            {
                var b = segment.Span[i];
                span[i] = b is >= (byte)'a' and <= (byte)'z' ? (byte)(b - 32) : b;
            }

            output.Advance(segment.Length);
        }

        consumed = input.End;
        return SessionAction.Continue;
    }

    public void OnClosed()
    {
    }
}
