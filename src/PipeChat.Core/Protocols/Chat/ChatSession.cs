using System.Buffers;

namespace PipeChat.Protocols.Chat;

/// <summary>
/// One TCP chat connection: frames its input into the hub, and when the hub wakes it, lets the
/// connection model pull the member's output (<see cref="ChatMember.DrainTo"/>) in one batch.
/// Room lines are shared buffers in the room's ring; draining copies them straight into the
/// connection's output, so nothing per member is allocated or queued on the way.
/// </summary>
public sealed class ChatSession : IStreamSession, IOutboundSource, IChatMemberSink, ISweptSession
{
    private readonly ChatProtocol _protocol;
    private readonly IConnectionOutput _connection;
    private readonly TokenBucket? _budget;
    private ChatMember? _member;
    private long _lastInput;

    // When the first byte of the unfinished line at the end of the input was seen; 0: none.
    private long _lineStarted;
    private int _closed;

    internal ChatSession(ChatProtocol protocol, IConnectionOutput connection)
    {
        _protocol = protocol;
        _connection = connection;
        _lastInput = protocol.Time.GetTimestamp();
        _budget = TokenBucket.PerSecond(protocol.Limits.MaxLineRate, protocol.Time);
    }

    /// <inheritdoc />
    public TimeSpan InputPause { get; private set; }

    /// <summary>The member, once joined.</summary>
    public ChatMember Member => _member ?? throw new InvalidOperationException("Not joined yet.");

    /// <inheritdoc />
    public SessionAction OnInput(in ReadOnlySequence<byte> input, bool inputEnded, IBufferWriter<byte> output, out SequencePosition consumed)
    {
        var now = _protocol.Time.GetTimestamp();
        if (!input.IsEmpty)
        {
            Volatile.Write(ref _lastInput, now);
        }

        var rest = input;
        var keepReading = _protocol.Hub.OnReceived(Member, ref rest, _protocol.Limits.MaxLine, _budget, out var pause);
        consumed = rest.Start;
        if (!keepReading)
        {
            // The hub has already ended the member (/quit, too long, cut off, shutdown).
            return SessionAction.Close;
        }

        if (pause > TimeSpan.Zero)
        {
            // Complete lines wait for budget: not an unfinished line, whatever the client does meanwhile.
            Volatile.Write(ref _lineStarted, 0);
            if (!Member.ClaimPending)
            {
                _protocol.LinesThrottled.Hit();
            }

            InputPause = pause;
            return SessionAction.Pause;
        }

        if (rest.IsEmpty)
        {
            Volatile.Write(ref _lineStarted, 0);
        }
        else if (!rest.Start.Equals(input.Start) || Volatile.Read(ref _lineStarted) == 0)
        {
            // A new unfinished line: its clock starts now; more bytes of the same line do not restart it.
            Volatile.Write(ref _lineStarted, now);
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

    void ISweptSession.Sweep(long now)
    {
        var time = _protocol.Time;
        var limits = _protocol.Limits;
        if (_member is not { HasLeft: false } member)
        {
            return;
        }

        var lineStarted = Volatile.Read(ref _lineStarted);
        if (limits.LineTimeout > TimeSpan.Zero && lineStarted != 0 && time.GetElapsedTime(lineStarted, now) >= limits.LineTimeout)
        {
            _protocol.LineTimeouts.Hit();
            _protocol.Hub.LineTimedOut(member);
        }
        else if (limits.IdleTimeout > TimeSpan.Zero && time.GetElapsedTime(Volatile.Read(ref _lastInput), now) >= limits.IdleTimeout)
        {
            // The member hears why, the room hears "* NAME left" (docs/protocols.md: any other reason).
            _protocol.IdleTimeouts.Hit();
            var notice = ChatMessage.Error(_protocol.Hub.Pool, "idle timeout");
            member.Deliver(notice);
            notice.Release();
            _protocol.Hub.Disconnect(member);
        }
    }
}
