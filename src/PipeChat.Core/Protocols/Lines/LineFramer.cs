using System.Buffers;

namespace PipeChat.Protocols.Lines;

/// <summary>
/// Cuts <c>\n</c>-terminated lines off a byte buffer (docs/protocols.md). Sans-I/O: the transport owns the buffer
/// and decides what to do with the result.
/// </summary>
/// <remarks>
/// <para>
/// The limit counts content bytes only: a line is too long when its bytes, without the <c>\n</c> and
/// without one <c>\r</c> directly before that <c>\n</c>, number more than <c>maxLine</c>.
/// A <c>\r</c> anywhere else is ordinary content.
/// </para>
/// <para>
/// Unfinished lines are judged by the same rule as soon as the answer is certain, so the caller never
/// has to hold more than <c>maxLine + 1</c> bytes waiting for a newline. The one uncertain case is an
/// unfinished line of exactly <c>maxLine + 1</c> bytes whose last byte is <c>\r</c>: if a <c>\n</c>
/// follows, that <c>\r</c> is the dropped one and the line is valid, so it is <see cref="LineStatus.NeedMore"/>.
/// Any longer unfinished line, or one of <c>maxLine + 1</c> bytes not ending in <c>\r</c>, is
/// <see cref="LineStatus.TooLong"/> at once.
/// </para>
/// <para>
/// Only the first <c>maxLine + 2</c> bytes are ever searched (content, <c>\r</c>, <c>\n</c>): a newline
/// further on could only end a line that is too long anyway. This also keeps repeated calls on a
/// growing buffer cheap. No allocations: the results are slices of the input.
/// </para>
/// </remarks>
public static class LineFramer
{
    private const byte LineFeed = (byte)'\n';
    private const byte CarriageReturn = (byte)'\r';

    /// <summary>
    /// Tries to cut one line off the front of <paramref name="buffer"/>.
    /// </summary>
    /// <param name="buffer">Received bytes. Advanced past the <c>\n</c> on <see cref="LineStatus.Line"/>;
    /// left unchanged on <see cref="LineStatus.NeedMore"/> and <see cref="LineStatus.TooLong"/>.</param>
    /// <param name="maxLine">Longest accepted line in bytes, <c>\r\n</c> excluded.</param>
    /// <param name="line">The line without <c>\r\n</c> (empty for an empty line); default unless
    /// <see cref="LineStatus.Line"/>. It is a slice of <paramref name="buffer"/>: use it before the
    /// transport releases that memory.</param>
    public static LineStatus TryReadLine(ref ReadOnlySequence<byte> buffer, int maxLine, out ReadOnlySequence<byte> line)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxLine);
        long window = (long)maxLine + 2;

        if (buffer.IsSingleSegment)
        {
            ReadOnlySpan<byte> span = buffer.FirstSpan;
            int searched = (int)Math.Min(span.Length, window);
            int newline = span[..searched].IndexOf(LineFeed);
            if (newline >= 0)
            {
                int length = newline > 0 && span[newline - 1] == CarriageReturn ? newline - 1 : newline;
                return Complete(ref buffer, maxLine, length, buffer.GetPosition(newline + 1), out line);
            }

            line = default;
            return Unfinished(span.Length, span.Length > 0 && span[^1] == CarriageReturn, maxLine, window);
        }

        return TryReadMultiSegment(ref buffer, maxLine, window, out line);
    }

    private static LineStatus TryReadMultiSegment(ref ReadOnlySequence<byte> buffer, int maxLine, long window, out ReadOnlySequence<byte> line)
    {
        ReadOnlySequence<byte> searched = buffer.Length > window ? buffer.Slice(0, window) : buffer;
        SequencePosition? newline = searched.PositionOf(LineFeed);
        if (newline is SequencePosition position)
        {
            long length = buffer.Slice(0, position).Length;
            if (length > 0 && LastByte(buffer.Slice(0, length)) == CarriageReturn)
            {
                length--;
            }

            return Complete(ref buffer, maxLine, length, buffer.GetPosition(1, position), out line);
        }

        line = default;
        long total = buffer.Length;
        // Over the window the answer is TooLong whatever the last byte is; don't walk to it.
        bool endsWithCr = total > 0 && total < window && LastByte(buffer) == CarriageReturn;
        return Unfinished(total, endsWithCr, maxLine, window);
    }

    private static LineStatus Complete(ref ReadOnlySequence<byte> buffer, int maxLine, long length, SequencePosition next, out ReadOnlySequence<byte> line)
    {
        if (length > maxLine)
        {
            line = default;
            return LineStatus.TooLong;
        }

        line = buffer.Slice(0, length);
        buffer = buffer.Slice(next);
        return LineStatus.Line;
    }

    private static LineStatus Unfinished(long total, bool endsWithCr, int maxLine, long window)
    {
        if (total >= window)
        {
            return LineStatus.TooLong;
        }

        // A trailing \r may still be the one dropped before \n, so it does not count yet.
        long pending = endsWithCr ? total - 1 : total;
        return pending > maxLine ? LineStatus.TooLong : LineStatus.NeedMore;
    }

    private static byte LastByte(in ReadOnlySequence<byte> sequence) =>
        sequence.Slice(sequence.Length - 1).FirstSpan[0];
}
