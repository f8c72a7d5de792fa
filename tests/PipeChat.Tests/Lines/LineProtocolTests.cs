using System.Buffers;
using System.Text;
using PipeChat.Protocols;
using PipeChat.Tests.Chat;

namespace PipeChat.Tests.Lines;

/// <summary>The line layer without sockets: framing, limits, closing, the last unterminated line.</summary>
public sealed class LineProtocolTests
{
    private static (SessionAction Action, string Output, long Consumed) Feed(ReadOnlySequence<byte> input, bool inputEnded = false, int maxLine = 16)
    {
        var session = new ReverseProtocol(maxLine).CreateSession(null!);
        var output = new ArrayBufferWriter<byte>();
        var action = session.OnInput(input, inputEnded, output, out var consumed);
        return (action, Encoding.UTF8.GetString(output.WrittenSpan), input.Slice(0, consumed).Length);
    }

    [Fact]
    public void Each_complete_line_is_handled_and_a_partial_one_waits()
    {
        var (action, output, consumed) = Feed(Sequences.Of("abc\r\nxy\n\nhal"));
        Assert.Equal(SessionAction.Continue, action);
        Assert.Equal("cba\nyx\n\n", output);
        Assert.Equal(9, consumed);
    }

    [Fact]
    public void A_line_across_segments_arrives_whole()
    {
        var (_, output, consumed) = Feed(Sequences.FromSegments("he", "ll", "o\nw"));
        Assert.Equal("olleh\n", output);
        Assert.Equal(6, consumed);
    }

    [Fact]
    public void A_handler_returning_false_closes_after_its_reply()
    {
        var (action, output, consumed) = Feed(Sequences.Of("ab\nquit\nnot this\n"));
        Assert.Equal(SessionAction.Close, action);
        Assert.Equal("ba\nbye\n", output);
        Assert.Equal(8, consumed);
    }

    [Fact]
    public void A_too_long_line_gets_the_last_word_and_closes_without_waiting_for_its_end()
    {
        var (action, output, _) = Feed(Sequences.Of("ok\n" + new string('x', 17)), maxLine: 16);
        Assert.Equal(SessionAction.Close, action);
        Assert.Equal("ko\n! too long\n", output);
    }

    [Fact]
    public void A_line_of_exactly_the_limit_is_accepted()
    {
        var (action, output, _) = Feed(Sequences.Of(new string('x', 16) + "\r\n"), maxLine: 16);
        Assert.Equal(SessionAction.Continue, action);
        Assert.Equal(new string('x', 16) + "\n", output);
    }

    [Fact]
    public void When_input_ends_the_unterminated_rest_is_a_last_line()
    {
        var (action, output, consumed) = Feed(Sequences.Of("ab\ncd"), inputEnded: true);
        Assert.Equal(SessionAction.Close, action);
        Assert.Equal("ba\ndc\n", output);
        Assert.Equal(5, consumed);
    }

    [Fact]
    public void Lines_cost_no_allocation_whole_or_across_segments()
    {
        var session = new ReverseProtocol(maxLineLength: 64).CreateSession(null!);
        var output = new ArrayBufferWriter<byte>(1 << 16);
        var whole = Sequences.Of("one line\r\nanother\n");
        var split = Sequences.FromSegments("one li", "ne\r\nano", "ther\n");
        for (var i = 0; i < 100; i++)
        {
            // Warm up the pool and the JIT.
            session.OnInput(split, false, output, out _);
            output.ResetWrittenCount();
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            session.OnInput(whole, false, output, out _);
            session.OnInput(split, false, output, out _);
            output.ResetWrittenCount();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
