using System.Buffers;
using System.Diagnostics;

namespace PipeChat.Protocols.Chat;

/// <summary>
/// One TCP chat member: frames its input into the hub, and queues what the hub delivers to it
/// until the connection model drains the queue into the socket in one batch. Messages are
/// shared, reference-counted buffers: queuing one is a pointer and a count, not a copy.
/// A member whose queue passes <see cref="ChatLimits.MaxPendingOutput"/> is refused the next
/// delivery, and the hub cuts it off: nobody ever waits for it.
/// </summary>
public sealed class ChatSession : IStreamSession, IOutboundSource, IChatMemberSink
{
    private readonly ChatProtocol _protocol;
    private readonly IConnectionOutput _connection;
    private readonly Queue<ChatMessage> _pending = new();
    private readonly Lock _lock = new();
    private ChatMember? _member;
    private long _pendingBytes;
    private long _lastInput = Stopwatch.GetTimestamp();
    private bool _closed;
    private bool _overflowed;

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

        // At EOF an unfinished last line is dropped: the client never ended it.
        return keepReading && !inputEnded ? SessionAction.Continue : SessionAction.Close;
    }

    /// <inheritdoc />
    public bool DrainTo(IBufferWriter<byte> output)
    {
        lock (_lock)
        {
            while (_pending.TryDequeue(out var message))
            {
                output.Write(message.Span);
                _pendingBytes -= message.Length;
                message.Release();
            }

            return !_closed;
        }
    }

    /// <inheritdoc />
    public bool TryDeliver(ChatMessage message)
    {
        lock (_lock)
        {
            if (_closed)
            {
                return false;
            }

            if (_pendingBytes + message.Length > _protocol.Limits.MaxPendingOutput)
            {
                // The hub will cut this member off; its close must not wait on a peer that does not read.
                _overflowed = true;
                return false;
            }

            message.AddRef();
            _pending.Enqueue(message);
            _pendingBytes += message.Length;
        }

        _connection.Signal();
        return true;
    }

    /// <inheritdoc />
    public void Close()
    {
        bool overflowed;
        lock (_lock)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            overflowed = _overflowed;
        }

        if (overflowed)
        {
            _connection.Abort();
        }
        else
        {
            _connection.RequestClose();
        }
    }

    /// <inheritdoc />
    public void OnClosed()
    {
        _protocol.Forget(this);
        if (_member is { } member)
        {
            _protocol.Hub.Disconnect(member);
        }

        lock (_lock)
        {
            _closed = true;
            while (_pending.TryDequeue(out var message))
            {
                message.Release();
            }

            _pendingBytes = 0;
        }
    }

    internal void Join() => _member = _protocol.Hub.Connect(this);

    internal void DropIdle()
    {
        // The member hears why, the room hears "* NAME left" (SPEC §6: any other reason).
        var notice = ChatMessage.Error(_protocol.Hub.Pool, "idle timeout");
        TryDeliver(notice);
        notice.Release();
        _protocol.Hub.Disconnect(Member);
    }
}
