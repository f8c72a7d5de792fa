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
    // _joinState: NotJoined → Joining → IsJoined, or back to NotJoined while the name waits; JoinEnded once closed.
    private const int NotJoined = 0;
    private const int Joining = 1;
    private const int IsJoined = 2;
    private const int JoinEnded = 3;

    // Input waits this long at a time while the member waits for a name claimed across the cluster.
    private static readonly TimeSpan NameWaitPause = TimeSpan.FromMilliseconds(20);

    private readonly ChatProtocol _protocol;
    private readonly IConnectionOutput _connection;
    private readonly TokenBucket? _budget;
    private ChatMember? _member;
    private int _joinState;
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

        if (Joined() is not { } member)
        {
            // Still waiting for a name: the input stays unread until the member is in.
            consumed = input.Start;
            if (inputEnded)
            {
                return SessionAction.Close;
            }

            InputPause = NameWaitPause;
            return SessionAction.Pause;
        }

        var rest = input;
        var keepReading = _protocol.Hub.OnReceived(member, ref rest, _protocol.Limits.MaxLine, _budget, _protocol.LinesTooLong, out var pause);
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
            if (!member.ClaimPending)
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
        _protocol.Hub.Disconnect(member);
        return SessionAction.Close;
    }

    /// <inheritdoc />
    public bool DrainTo(IBufferWriter<byte> output)
    {
        if (Joined() is { } member && member.DrainTo(output))
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
        if (EndJoining() is { } member)
        {
            _protocol.Hub.Disconnect(member, discardOutput: true);
            member.DiscardOutput();
        }
    }

    /// <summary>Joins the hub now, or once the cluster has a name for the member (it wakes this session).</summary>
    internal void Join() => Joined();

    // The member, joining first if it has not yet: OnInput and DrainTo may race here (the threads
    // model reads and writes on two threads), and OnClosed must not miss a member that joins meanwhile.
    private ChatMember? Joined()
    {
        if (Volatile.Read(ref _member) is { } member)
        {
            return member;
        }

        if (Interlocked.CompareExchange(ref _joinState, Joining, NotJoined) != NotJoined)
        {
            return Volatile.Read(ref _member);
        }

        member = _protocol.Hub.TryConnect(this);
        Volatile.Write(ref _member, member);
        Volatile.Write(ref _joinState, member is null ? NotJoined : IsJoined);
        return member;
    }

    // No joining after this; waits out a join in progress (it never blocks) and returns its member.
    private ChatMember? EndJoining()
    {
        var spin = default(SpinWait);
        while (true)
        {
            int state = Interlocked.CompareExchange(ref _joinState, JoinEnded, NotJoined);
            if (state != Joining)
            {
                return Volatile.Read(ref _member);
            }

            spin.SpinOnce();
        }
    }

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
