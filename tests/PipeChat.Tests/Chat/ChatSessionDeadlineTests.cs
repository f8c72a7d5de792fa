using System.Buffers;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using PipeChat.Protocols;
using PipeChat.Protocols.Chat;

namespace PipeChat.Tests.Chat;

/// <summary>The chat session's deadlines and line budget on a fake clock (no sockets).</summary>
public class ChatSessionDeadlineTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void An_unfinished_line_times_out_from_its_first_byte_however_it_trickles()
    {
        using var protocol = new ChatProtocol(new ChatLimits { LineTimeout = TimeSpan.FromSeconds(30), Time = _time });
        var connection = new FakeConnection();
        var session = protocol.CreateSession(connection);

        Feed(session, "ab");
        for (var i = 0; i < 28; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            Feed(session, "ab" + new string('c', i + 1));
        }

        Assert.False(connection.CloseRequested);
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.True(connection.CloseRequested);
        Assert.Contains("! line timeout\n", Drain(session), StringComparison.Ordinal);
        Assert.Equal(1, protocol.LineTimeouts.Count);
    }

    [Fact]
    public void Ended_lines_however_slow_never_time_out()
    {
        using var protocol = new ChatProtocol(new ChatLimits { LineTimeout = TimeSpan.FromSeconds(30), Time = _time });
        var connection = new FakeConnection();
        var session = protocol.CreateSession(connection);
        for (var i = 0; i < 5; i++)
        {
            Feed(session, "slow line\n");
            _time.Advance(TimeSpan.FromSeconds(29));
        }

        Assert.False(connection.CloseRequested);
    }

    [Fact]
    public void Past_the_budget_the_session_pauses_and_consumes_only_what_it_handled()
    {
        using var protocol = new ChatProtocol(new ChatLimits { MaxLineRate = 2, Time = _time });
        var session = protocol.CreateSession(new FakeConnection());
        var input = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes("a\n/who\nc\nd\n"));

        Assert.Equal(SessionAction.Pause, session.OnInput(input, false, new ArrayBufferWriter<byte>(), out var consumed));
        Assert.Equal("c\nd\n", Encoding.ASCII.GetString(input.Slice(consumed).ToArray()));
        Assert.Equal(TimeSpan.FromMilliseconds(500), session.InputPause);

        _time.Advance(TimeSpan.FromSeconds(1));
        input = input.Slice(consumed);
        Assert.Equal(SessionAction.Continue, session.OnInput(input, false, new ArrayBufferWriter<byte>(), out consumed));
        Assert.True(input.Slice(consumed).IsEmpty);
    }

    private static void Feed(IStreamSession session, string text) =>
        Assert.Equal(SessionAction.Continue, session.OnInput(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(text)), false, new ArrayBufferWriter<byte>(), out _));

    private static string Drain(IStreamSession session)
    {
        var output = new ArrayBufferWriter<byte>();
        ((IOutboundSource)session).DrainTo(output);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    private sealed class FakeConnection : IConnectionOutput
    {
        public bool CloseRequested { get; private set; }

        public void Signal()
        {
        }

        public void RequestClose() => CloseRequested = true;

        public void Abort() => CloseRequested = true;
    }
}
