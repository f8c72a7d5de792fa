using System.Buffers;

namespace PipeChat.Fuzz.Harnesses;

/// <summary>
/// Builds a <see cref="ReadOnlySequence{T}"/> over several arrays, the shape a pipe hands a session when
/// a line arrived in several reads, so the multi-segment paths run as they do in a server.
/// </summary>
internal static class Segments
{
    public static ReadOnlySequence<byte> Of(IReadOnlyList<byte[]> chunks)
    {
        Segment? first = null;
        Segment? last = null;
        foreach (byte[] chunk in chunks)
        {
            if (chunk.Length == 0)
            {
                continue;
            }

            var segment = new Segment(chunk, last is null ? 0 : last.RunningIndex + last.Memory.Length);
            if (last is null)
            {
                first = segment;
            }
            else
            {
                last.SetNext(segment);
            }

            last = segment;
        }

        return first is null || last is null
            ? ReadOnlySequence<byte>.Empty
            : new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] bytes, long runningIndex)
        {
            Memory = bytes;
            RunningIndex = runningIndex;
        }

        public void SetNext(Segment next) => Next = next;
    }
}
