using System.Buffers;
using System.Text;
using PipeChat.Protocols.Chat;
using PipeChat.Protocols.Lines;

namespace PipeChat.Tests.Chat;

public class LineFramerTests
{
    /// <summary>Reads lines until the framer stops; returns the lines, the final status and what is left.</summary>
    private static (List<string> Lines, LineStatus Final, string Remaining) ReadAll(ReadOnlySequence<byte> buffer, int maxLine)
    {
        var lines = new List<string>();
        LineStatus status;
        while ((status = LineFramer.TryReadLine(ref buffer, maxLine, out ReadOnlySequence<byte> line)) == LineStatus.Line)
        {
            lines.Add(Sequences.Text(line));
        }

        return (lines, status, Sequences.Text(buffer));
    }

    [Fact]
    public void Reads_a_line_and_advances_past_the_newline()
    {
        ReadOnlySequence<byte> buffer = Sequences.Of("hello\nworld");

        Assert.Equal(LineStatus.Line, LineFramer.TryReadLine(ref buffer, 100, out ReadOnlySequence<byte> line));
        Assert.Equal("hello", Sequences.Text(line));
        Assert.Equal("world", Sequences.Text(buffer));
    }

    [Fact]
    public void Drops_one_carriage_return_before_the_newline()
    {
        (List<string> lines, LineStatus final, string rest) = ReadAll(Sequences.Of("a\r\nb\r\r\nc\rd\n"), 100);

        Assert.Equal(["a", "b\r", "c\rd"], lines);
        Assert.Equal(LineStatus.NeedMore, final);
        Assert.Equal("", rest);
    }

    [Fact]
    public void Empty_lines_are_returned_as_empty()
    {
        (List<string> lines, _, _) = ReadAll(Sequences.Of("\n\r\nx\n"), 100);

        Assert.Equal(["", "", "x"], lines);
    }

    [Fact]
    public void Unfinished_line_needs_more_and_leaves_the_buffer_alone()
    {
        ReadOnlySequence<byte> buffer = Sequences.Of("partial");

        Assert.Equal(LineStatus.NeedMore, LineFramer.TryReadLine(ref buffer, 100, out ReadOnlySequence<byte> line));
        Assert.True(line.IsEmpty);
        Assert.Equal("partial", Sequences.Text(buffer));
    }

    [Fact]
    public void Empty_buffer_needs_more()
    {
        ReadOnlySequence<byte> buffer = ReadOnlySequence<byte>.Empty;

        Assert.Equal(LineStatus.NeedMore, LineFramer.TryReadLine(ref buffer, 0, out _));
    }

    [Theory]
    [InlineData("abcd\n")]
    [InlineData("abcd\r\n")]
    public void Line_of_exactly_max_bytes_is_accepted(string input)
    {
        ReadOnlySequence<byte> buffer = Sequences.Of(input);

        Assert.Equal(LineStatus.Line, LineFramer.TryReadLine(ref buffer, 4, out ReadOnlySequence<byte> line));
        Assert.Equal("abcd", Sequences.Text(line));
        Assert.True(buffer.IsEmpty);
    }

    [Theory]
    [InlineData("abcde\n")]
    [InlineData("abcde\r\n")]
    [InlineData("abcd\r\r\n")]
    [InlineData("abcde\nok\n")]
    public void Line_of_max_plus_one_bytes_is_too_long(string input)
    {
        ReadOnlySequence<byte> buffer = Sequences.Of(input);

        Assert.Equal(LineStatus.TooLong, LineFramer.TryReadLine(ref buffer, 4, out ReadOnlySequence<byte> line));
        Assert.True(line.IsEmpty);
        Assert.Equal(input, Sequences.Text(buffer));
    }

    [Theory]
    [InlineData("abcd", LineStatus.NeedMore)]
    [InlineData("abcde", LineStatus.TooLong)]
    [InlineData("abcd\r", LineStatus.NeedMore)]
    [InlineData("abcde\r", LineStatus.TooLong)]
    [InlineData("abcd\r\r", LineStatus.TooLong)]
    [InlineData("abc\rx", LineStatus.TooLong)]
    [InlineData("abc\r", LineStatus.NeedMore)]
    public void Unfinished_line_is_judged_as_soon_as_it_is_certainly_too_long(string input, LineStatus expected)
    {
        ReadOnlySequence<byte> buffer = Sequences.Of(input);

        Assert.Equal(expected, LineFramer.TryReadLine(ref buffer, 4, out _));
    }

    [Fact]
    public void Pending_carriage_return_at_the_limit_becomes_valid_when_the_newline_arrives()
    {
        ReadOnlySequence<byte> first = Sequences.Of("abcd\r");
        Assert.Equal(LineStatus.NeedMore, LineFramer.TryReadLine(ref first, 4, out _));

        ReadOnlySequence<byte> completed = Sequences.Of("abcd\r\n");
        Assert.Equal(LineStatus.Line, LineFramer.TryReadLine(ref completed, 4, out ReadOnlySequence<byte> line));
        Assert.Equal("abcd", Sequences.Text(line));

        ReadOnlySequence<byte> continued = Sequences.Of("abcd\rx");
        Assert.Equal(LineStatus.TooLong, LineFramer.TryReadLine(ref continued, 4, out _));
    }

    [Fact]
    public void Long_unfinished_line_is_too_long_without_waiting_for_a_newline()
    {
        ReadOnlySequence<byte> buffer = new(new byte[100_000]);

        Assert.Equal(LineStatus.TooLong, LineFramer.TryReadLine(ref buffer, 4096, out _));
    }

    [Fact]
    public void Newline_beyond_the_search_window_still_means_too_long()
    {
        ReadOnlySequence<byte> buffer = Sequences.Of(new string('x', 50) + "\n");

        Assert.Equal(LineStatus.TooLong, LineFramer.TryReadLine(ref buffer, 10, out _));
    }

    [Fact]
    public void Zero_limit_accepts_only_empty_lines()
    {
        Assert.Equal(["", ""], ReadAll(Sequences.Of("\n\r\n"), 0).Lines);
        Assert.Equal(LineStatus.TooLong, ReadAll(Sequences.Of("a\n"), 0).Final);
        Assert.Equal(LineStatus.NeedMore, ReadAll(Sequences.Of("\r"), 0).Final);
    }

    [Fact]
    public void Negative_limit_is_rejected()
    {
        ReadOnlySequence<byte> buffer = Sequences.Of("x\n");

        Assert.Throws<ArgumentOutOfRangeException>(() => LineFramer.TryReadLine(ref buffer, -1, out _));
    }

    [Fact]
    public void Line_split_over_many_segments_is_reassembled()
    {
        ReadOnlySequence<byte> buffer = Sequences.FromSegments("he", "", "ll", "o", "\r", "\n", "next");

        Assert.False(buffer.IsSingleSegment);
        Assert.Equal(LineStatus.Line, LineFramer.TryReadLine(ref buffer, 5, out ReadOnlySequence<byte> line));
        Assert.Equal("hello", Sequences.Text(line));
        Assert.Equal("next", Sequences.Text(buffer));
    }

    [Fact]
    public void One_byte_segments_frame_like_a_single_segment()
    {
        const string input = "ab\r\n\nxyz\rw\n";
        byte[] bytes = Encoding.UTF8.GetBytes(input);
        ReadOnlySequence<byte> buffer = Sequences.FromSegments(Array.ConvertAll(bytes, b => new[] { b }));

        Assert.Equal(Show(ReadAll(Sequences.Of(input), 6)), Show(ReadAll(buffer, 6)));
    }

    public static TheoryData<string, int> SplitCases => new()
    {
        { "ab\r\ncd\n\nefg\r\r\nhij", 4 },
        { "ab\r\ncd\n\nefg\r\r\nhij", 3 },
        { "abcd\r\nabcde\n", 4 },
        { "abc\r\rz", 3 },
        { "abcd\r", 4 },
        { "abcde", 4 },
        { "\r\n\r\n\r", 0 },
    };

    /// <summary>Every way of cutting the input into two or three segments (with empty ones) gives the single-segment answer.</summary>
    [Theory]
    [MemberData(nameof(SplitCases))]
    public void Every_segmentation_gives_the_single_segment_result(string input, int maxLine)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(input);
        var expected = ReadAll(new ReadOnlySequence<byte>(bytes), maxLine);

        for (int i = 0; i <= bytes.Length; i++)
        {
            for (int j = i; j <= bytes.Length; j++)
            {
                ReadOnlySequence<byte> buffer = Sequences.SplitAt(bytes, i, j);
                Assert.Equal($"{i},{j}: {Show(expected)}", $"{i},{j}: {Show(ReadAll(buffer, maxLine))}");
            }
        }
    }

    [Fact]
    public void Single_segment_framing_does_not_allocate()
    {
        byte[] data = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("some chat line\r\n", 64)) + "tail");
        Frame(data);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            Frame(data);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);

        static void Frame(byte[] data)
        {
            var buffer = new ReadOnlySequence<byte>(data);
            while (LineFramer.TryReadLine(ref buffer, 100, out _) == LineStatus.Line)
            {
            }
        }
    }

    private static string Show((List<string> Lines, LineStatus Final, string Remaining) result) =>
        $"[{string.Join("|", result.Lines)}] {result.Final} rest='{result.Remaining}'";
}
