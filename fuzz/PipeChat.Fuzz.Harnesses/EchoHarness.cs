using System.Buffers;
using PipeChat.Protocols;
using PipeChat.Protocols.Echo;

namespace PipeChat.Fuzz.Harnesses;

/// <summary>
/// TCP echo session over fuzzed reads: whatever the split into reads and segments, and however small the
/// output spans, the output equals the input and every read is consumed.
/// </summary>
/// <remarks>
/// Input: one byte for the output span size, then per read one byte (low 6 bits: length, high 2 bits:
/// segments minus one) followed by that many payload bytes.
/// </remarks>
public static class EchoHarness
{
    public static void Run(ReadOnlySpan<byte> data)
    {
        var input = new FuzzInput(data);
        var output = new StingyWriter(input.NextByte() % 64);
        var session = new EchoProtocol().CreateSession(new NullConnection());
        var sent = new List<byte>();
        var chunks = new List<byte[]>();
        while (!input.IsEmpty)
        {
            byte op = input.NextByte();
            byte[] payload = input.Take(op & 0x3F).ToArray();
            int parts = (op >> 6) + 1;
            chunks.Clear();
            int size = Math.Max(1, (payload.Length + parts - 1) / parts);
            for (int offset = 0; offset < payload.Length; offset += size)
            {
                chunks.Add(payload[offset..Math.Min(payload.Length, offset + size)]);
            }

            var sequence = Segments.Of(chunks);
            var action = session.OnInput(sequence, inputEnded: false, output, out SequencePosition consumed);
            InvariantViolationException.Check(action == SessionAction.Continue, "echo asked to close before the input ended");
            InvariantViolationException.Check(sequence.Slice(consumed).IsEmpty, "echo left input unconsumed");
            sent.AddRange(payload);
        }

        var end = session.OnInput(ReadOnlySequence<byte>.Empty, inputEnded: true, output, out _);
        InvariantViolationException.Check(end == SessionAction.Close, "echo kept reading after the input ended");
        InvariantViolationException.Check(output.WrittenSpan.SequenceEqual(sent.ToArray()), "echo output differs from its input");
        session.OnClosed();
    }

    private sealed class NullConnection : IConnectionOutput
    {
        public void Signal()
        {
        }

        public void RequestClose()
        {
        }

        public void Abort()
        {
        }
    }
}
