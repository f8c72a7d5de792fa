using System.Buffers;
using System.Diagnostics;

namespace PipeChat.Protocols.Chat;

/// <summary>
/// One TCP chat connection: frames its input into the hub, and when the hub wakes it, lets the
/// connection model pull the member's output (<see cref="ChatMember.DrainTo"/>) in one batch.
/// Room lines are shared buffers in the room's ring; draining copies them straight into the
/// connection's output, so nothing per member is allocated or queued on the way.
/// </summary>
public sealed class ChatSession : IStreamSession, IOutboundSource, IChatMemberSink
{
    private readonly ChatProtocol _protocol;
    private readonly IConnectionOutput _connection;
    private ChatMember? _member;
    private long _lastInput = Stopwatch.GetTimestamp();
    private int _closed;

    internal ChatSession(ChatProtocol protocol, IConnectionOutput connection)
    {
        _protocol = protocol;
        _connection = connection;
    }

    internal long LastInput => Volatile.Read(ref _lastInput);

    /// <summary>The member, once joined.</summary>
    public ChatMember Member => _member ?? throw new InvalidOperationException("Not joined yet.");

    /// <inheritdoc />
    public SessionAction OnInput(in ReadOnlySequence<byte> input, bool inputEnded, IBufferWriter<byte> output, out SequencePosition consumed)
    {
        if (!input.IsEmpty)
        {
            Volatile.Write(ref _lastInput, Stopwatch.GetTimestamp());
        }

        var rest = input;
        var keepReading = _protocol.Hub.OnReceived(Member, ref rest, _protocol.Limits.MaxLine);
        consumed = rest.Start;
        if (!keepReading)
        {
            // The hub has already ended the member (/quit, too long, cut off, shutdown).
            return SessionAction.Close;
        }

        if (!inputEnded)
        {
            return SessionAction.Continue;
        }

        // At EOF an unfinished last line is dropped: the client never ended it. Leaving now queues
        // everything still due to the member for the final flush.
        _protocol.Hub.Disconnect(Member);
        return SessionAction.Close;
    }

    /// <inheritdoc />
    public bool DrainTo(IBufferWriter<byte> output)
    {
        if (_member is { } member && member.DrainTo(output))
        {
            // Stopped at the drain budget: come back once this batch is on its way.
            _connection.Signal();
        }

        return Volatile.Read(ref _closed) == 0;
    }

    /// <inheritdoc />
    public void Wake() => _connection.Signal();

    /// <inheritdoc />
    public void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0)
        {
            _connection.RequestClose();
        }
    }

    /// <inheritdoc />
    public void Abort()
    {
        Volatile.Write(ref _closed, 1);
        _connection.Abort();
    }

    /// <inheritdoc />
    public void OnClosed()
    {
        _protocol.Forget(this);
        if (_member is { } member)
        {
            _protocol.Hub.Disconnect(member, discardOutput: true);
            member.DiscardOutput();
        }
    }

    internal void Join() => _member = _protocol.Hub.Connect(this);

    internal void DropIdle()
    {
        // The member hears why, the room hears "* NAME left" (SPEC §6: any other reason).
        var notice = ChatMessage.Error(_protocol.Hub.Pool, "idle timeout");
        Member.Deliver(notice);
        notice.Release();
        _protocol.Hub.Disconnect(Member);
    }
}
