using System.Buffers;
using System.Text;

namespace PipeChat.Tests.Chat;

/// <summary>Builds ReadOnlySequence&lt;byte&gt; values with chosen segment boundaries, as a pipe would hand them out.</summary>
internal static class Sequences
{
    public static ReadOnlySequence<byte> Of(string text) => new(Encoding.UTF8.GetBytes(text));

    /// <summary>One segment per part (empty parts make empty segments); always a multi-segment sequence for 2+ parts.</summary>
    public static ReadOnlySequence<byte> FromSegments(params byte[][] parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        var first = new Segment(parts[0], 0);
        Segment last = first;
        for (int i = 1; i < parts.Length; i++)
        {
            last = last.Append(parts[i]);
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    public static ReadOnlySequence<byte> FromSegments(params string[] parts) =>
        FromSegments(Array.ConvertAll(parts, Encoding.UTF8.GetBytes));

    /// <summary>Cuts <paramref name="data"/> at the given offsets (ascending, may repeat to make empty segments).</summary>
    public static ReadOnlySequence<byte> SplitAt(byte[] data, params int[] cuts)
    {
        var parts = new List<byte[]>();
        int start = 0;
        foreach (int cut in cuts)
        {
            parts.Add(data[start..cut]);
            start = cut;
        }

        parts.Add(data[start..]);
        return FromSegments([.. parts]);
    }

    public static string Text(in ReadOnlySequence<byte> sequence) => Encoding.UTF8.GetString(sequence.ToArray());

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
