using System.Buffers;
using PipeChat.Protocols;
using PipeChat.Protocols.Echo;

namespace PipeChat.Tests.Echo;

public class EchoProtocolTests
{
    [Fact]
    public void Single_segment_is_copied_and_fully_consumed()
    {
        var output = new ArrayBufferWriter<byte>();
        var input = new ReadOnlySequence<byte>("hello"u8.ToArray());

        var action = EchoProtocol.Instance.OnInput(input, inputEnded: false, output, out var consumed);

        Assert.Equal(SessionAction.Continue, action);
        Assert.Equal("hello"u8.ToArray(), output.WrittenSpan.ToArray());
        Assert.Equal(input.End, consumed);
    }

    [Fact]
    public void Multi_segment_input_is_copied_in_order()
    {
        var output = new ArrayBufferWriter<byte>();
        var input = Segments.Of([1, 2], [3], [], [4, 5, 6]);

        EchoProtocol.Instance.OnInput(input, inputEnded: false, output, out var consumed);

        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6 }, output.WrittenSpan.ToArray());
        Assert.Equal(input.End, consumed);
    }

    [Fact]
    public void End_of_input_asks_to_close_after_echoing_the_rest()
    {
        var output = new ArrayBufferWriter<byte>();
        var input = new ReadOnlySequence<byte>(new byte[] { 0, 255 });

        var action = EchoProtocol.Instance.OnInput(input, inputEnded: true, output, out _);

        Assert.Equal(SessionAction.Close, action);
        Assert.Equal(new byte[] { 0, 255 }, output.WrittenSpan.ToArray());
    }

    [Fact]
    public void One_stateless_session_serves_every_connection()
    {
        Assert.Same(EchoProtocol.Instance.CreateSession(null!), EchoProtocol.Instance.CreateSession(null!));
    }
}

/// <summary>Builds multi-segment sequences for tests.</summary>
internal static class Segments
{
    public static ReadOnlySequence<byte> Of(params byte[][] parts)
    {
        Segment? first = null;
        Segment? last = null;
        foreach (var part in parts)
        {
            var segment = new Segment(part);
            if (first is null)
            {
                first = segment;
            }
            else
            {
                last!.Append(segment);
            }

            last = segment;
        }

        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] data) => Memory = data;

        public void Append(Segment next)
        {
            next.RunningIndex = RunningIndex + Memory.Length;
            Next = next;
        }
    }
}
