using System.Buffers;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PipeChat.Diagnostics;
using PipeChat.Protocols.Lines;

namespace PipeChat.Protocols.Chat;

/// <summary>
/// The TCP chat state machine (docs/protocols.md): names, rooms, membership and who receives which line.
/// Sans-I/O: bytes come in through <see cref="OnLine(ChatMember, ReadOnlySpan{byte})"/>, lines go out
/// through each room's <see cref="RoomRing"/> and each member's private queue, which the transports drain
/// (<see cref="ChatMember.DrainTo"/>) when their <see cref="IChatMemberSink"/> is woken. Thread-safe.
/// </summary>
/// <remarks>
/// <para>
/// Broadcast: a line is encoded once into pooled memory and published once into the room's ring; members
/// read it through their own cursors. Publishing costs the same for 2 members or 2000, and no publisher ever
/// waits for a reader: members whose backlog passes the limit are cut off instead.
/// </para>
/// <para>
/// Locking: one hub lock serialises membership, name and room changes and the notices they cause.
/// Relaying a plain line takes no hub lock, only the room ring's short publish lock.
/// Lock order is hub lock, then member lock, then ring lock; sinks never call back into the hub, and
/// members found too slow are cut off only after every lock is released, through a work list rather than
/// recursion.
/// </para>
/// <para>
/// Calls for one member (<see cref="OnLine(ChatMember, ReadOnlySpan{byte})"/>, <see cref="LineTooLong"/>)
/// must come one at a time, in the order the lines arrived, as a connection's read loop naturally does;
/// that is what keeps each sender's messages in order at every recipient. Different members may call
/// concurrently, and <see cref="Disconnect"/> may come from any thread at any time.
/// </para>
/// </remarks>
public sealed partial class ChatHub
{
    /// <summary>The room every member starts in.</summary>
    public const string Lobby = "lobby";

    // Multi-segment lines up to this size are flattened on the stack, longer ones in a pooled array.
    private const int StackLineLimit = 512;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, ChatMember> _members = new(ChatNames.Comparer);
    private readonly Dictionary<string, ChatRoom> _rooms = new(ChatNames.Comparer);
    private readonly ChatMessagePool _pool;
    private readonly long _maxPendingOutput;
    private long _linesRelayed;
    private long _membersCutOff;
    private long _lastUserNumber;
    private long _lastId;
    private volatile bool _shuttingDown;
    private TimeProvider _time = TimeProvider.System;
    private LogLimiter _cutOffLog = new();

    /// <summary>
    /// Creates an empty hub encoding its lines with <paramref name="pool"/> (default: the shared pool). A member
    /// with more than <paramref name="maxPendingOutput"/> bytes waiting for it is cut off as too slow.
    /// </summary>
    public ChatHub(ChatMessagePool? pool = null, long maxPendingOutput = 1024 * 1024)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxPendingOutput);
        _pool = pool ?? ChatMessagePool.Shared;
        _maxPendingOutput = maxPendingOutput;
    }

    /// <summary>Slots a room's ring may grow to before readers a whole ring behind are cut off (tests lower it).</summary>
    internal int MaxRingCapacity { get; init; } = RoomRing.DefaultMaxCapacity;

    /// <summary>
    /// When rooms hold back wake-ups of their sleeping readers (see <see cref="RoomRing"/>); off by default
    /// here (the server's default is <see cref="Chat.WakeCoalescing.Auto"/>).
    /// </summary>
    public WakeCoalescing WakeCoalescing { get; init; }

    /// <summary>Runs the rooms' deferred wake-ups; without one, rooms wake their readers at once whatever <see cref="WakeCoalescing"/> says.</summary>
    public IWakeScheduler? WakeScheduler { get; init; }

    /// <summary>Where members cut off as too slow are logged (at most a line a second).</summary>
    public ILogger Logger { get; init; } = NullLogger.Instance;

    /// <summary>The clock that rate-limits the hub's log lines.</summary>
    public TimeProvider TimeProvider
    {
        get => _time;
        init
        {
            _time = value ?? throw new ArgumentNullException(nameof(value));
            _cutOffLog = new LogLimiter(value);
        }
    }

    /// <summary>The pool this hub's messages come from.</summary>
    public ChatMessagePool Pool => _pool;

    /// <summary>Member lines relayed to a room (each counted once, however many recipients).</summary>
    public long LinesRelayed => Interlocked.Read(ref _linesRelayed);

    /// <summary>Members cut off because they could not keep up.</summary>
    public long MembersCutOff
    {
        get
        {
            lock (_lock)
            {
                return _membersCutOff;
            }
        }
    }

    /// <summary>Members currently connected.</summary>
    public int MemberCount
    {
        get
        {
            lock (_lock)
            {
                return _members.Count;
            }
        }
    }

    /// <summary>Rooms that currently have members.</summary>
    public int RoomCount
    {
        get
        {
            lock (_lock)
            {
                return _rooms.Count;
            }
        }
    }

    /// <summary>True after <see cref="BroadcastShutdown"/>.</summary>
    public bool IsShuttingDown => _shuttingDown;

    /// <summary>
    /// Adds a new member named <c>userN</c> to the lobby: it gets <c>* welcome NAME</c> as its first line,
    /// the lobby gets <c>* NAME joined</c>. After shutdown the member only gets <c>* server shutting down</c>
    /// and its sink is closed.
    /// </summary>
    /// <remarks>In a cluster, when no claimed name is at hand, the member is numbered locally at once.</remarks>
    public ChatMember Connect(IChatMemberSink sink) => ConnectCore(sink, waiter: null)!;

    /// <summary>
    /// <see cref="Connect"/>, or null when the member should wait for a name claimed across the cluster:
    /// the bridge wakes <paramref name="sink"/> when to ask again (never blocks the calling thread).
    /// </summary>
    internal ChatMember? TryConnect(IChatMemberSink sink) => ConnectCore(sink, waiter: sink);

    private ChatMember? ConnectCore(IChatMemberSink sink, IChatMemberSink? waiter)
    {
        ArgumentNullException.ThrowIfNull(sink);
        List<ChatMember>? refused = null;
        ChatMember member;
        bool closeNow = false;

        // In a cluster the name comes claimed already (asked outside the lock).
        string? claimed = null;
        if (_bridge is { } bridge && !_shuttingDown)
        {
            if (bridge.TryTakeUserName(waiter, out string taken, out bool wait))
            {
                claimed = taken;
            }
            else if (wait)
            {
                return null;
            }
        }

        lock (_lock)
        {
            string name = claimed is not null && !_members.ContainsKey(claimed) ? claimed : NextFreeName();
            if (claimed is not null && (name != claimed || _shuttingDown))
            {
                _bridge?.Release(claimed);
            }

            member = new ChatMember(sink, ++_lastId, name, Encoding.ASCII.GetBytes(name), _maxPendingOutput);
            if (_shuttingDown)
            {
                member.MarkLeft();
                ChatMessage notice = ChatMessage.Compose(_pool, "* server shutting down"u8);
                member.MoveTo(null, notice, last: true);
                notice.Release();
                closeNow = true;
            }
            else
            {
                _members.Add(name, member);
                ChatRoom lobby = GetOrCreateRoomLocked(Lobby);
                var seat = new ChatSeat(member, lobby);

                // Seated and welcomed in one step: nothing from the room can overtake the welcome.
                ChatMessage welcome = ChatMessage.Compose(_pool, "* welcome "u8, member.NameBytes);
                if (!member.MoveTo(seat, welcome, last: false))
                {
                    (refused ??= []).Add(member);
                }

                welcome.Release();
                TellIfClusterUnavailableLocked(member, ref refused);
                NotifyRoomLocked(lobby, member, ref refused, "* "u8, member.NameBytes, " joined"u8);
                _bridge?.Joined(Lobby, name);
            }
        }

        if (closeNow)
        {
            sink.Close();
        }

        CutOff(refused);
        return member;
    }

    /// <summary>
    /// Handles one line from <paramref name="member"/> (without <c>\r\n</c>; bytes kept as they are).
    /// </summary>
    /// <returns>
    /// True to keep reading; false once the member has left (<c>/quit</c>, cut off, disconnected) or the hub is
    /// shutting down. The hub has then already asked the sink to close.
    /// </returns>
    public bool OnLine(ChatMember member, ReadOnlySpan<byte> line)
    {
        ArgumentNullException.ThrowIfNull(member);
        if (member.HasLeft || _shuttingDown)
        {
            return false;
        }

        ChatCommand command = ChatCommand.Parse(line);
        switch (command.Kind)
        {
            case ChatCommandKind.Empty:
                break;
            case ChatCommandKind.Message:
                ChatSeat? seat = member.Seat;
                if (seat is not null)
                {
                    Relay(member, seat.Room, command.Argument);
                }

                break;
            case ChatCommandKind.Nick:
                Rename(member, command.Argument);
                break;
            case ChatCommandKind.Join:
                Join(member, command.Argument);
                break;
            case ChatCommandKind.Who:
                Who(member);
                break;
            case ChatCommandKind.Rooms:
                Rooms(member);
                break;
            case ChatCommandKind.Quit:
                Leave(member, tooSlow: false, "* bye"u8);
                break;
            case ChatCommandKind.Help:
                Tell(member, "* commands: /nick NAME, /join ROOM, /who, /rooms, /quit, /help"u8);
                break;
            default:
                // The word is the member's own bytes: sanitized like relayed text before it is shown back.
                Tell(member, ChatMessage.ComposeText(_pool, "! unknown command: "u8, default, default, command.Argument));
                break;
        }

        return !member.HasLeft && !_shuttingDown;
    }

    /// <summary>
    /// <see cref="OnLine(ChatMember, ReadOnlySpan{byte})"/> for a line straight from
    /// <see cref="LineFramer"/>; multi-segment lines are flattened into a temporary buffer.
    /// </summary>
    public bool OnLine(ChatMember member, in ReadOnlySequence<byte> line)
    {
        if (line.IsSingleSegment)
        {
            return OnLine(member, line.FirstSpan);
        }

        int length = checked((int)line.Length);
        if (length <= StackLineLimit)
        {
            Span<byte> copy = stackalloc byte[StackLineLimit];
            line.CopyTo(copy);
            return OnLine(member, copy[..length]);
        }

        byte[] rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            line.CopyTo(rented);
            return OnLine(member, rented.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// Frames and handles every complete line at the front of <paramref name="buffer"/>, advancing it past
    /// them; an over-long line ends the member through <see cref="LineTooLong"/>. The transport then keeps
    /// the rest (<c>AdvanceTo(buffer.Start, buffer.End)</c>) and reads more.
    /// </summary>
    /// <returns>True to keep reading, false once the member has left (see <see cref="OnLine(ChatMember, ReadOnlySpan{byte})"/>).</returns>
    public bool OnReceived(ChatMember member, ref ReadOnlySequence<byte> buffer, int maxLine) =>
        OnReceived(member, ref buffer, maxLine, budget: null, out _);

    /// <summary>
    /// <see cref="OnReceived(ChatMember, ref ReadOnlySequence{byte}, int)"/> with a line budget: each line, commands
    /// included, takes a token of <paramref name="budget"/> (null: no limit). Once it is empty the lines left stay
    /// in <paramref name="buffer"/> and <paramref name="pause"/> says how long until the next one may go.
    /// </summary>
    public bool OnReceived(ChatMember member, ref ReadOnlySequence<byte> buffer, int maxLine, TokenBucket? budget, out TimeSpan pause) =>
        OnReceived(member, ref buffer, maxLine, budget, tooLong: null, out pause);

    /// <summary>
    /// <see cref="OnReceived(ChatMember, ref ReadOnlySequence{byte}, int, TokenBucket?, out TimeSpan)"/> that also
    /// counts an over-long line in <paramref name="tooLong"/> (the server's limit metrics).
    /// </summary>
    internal bool OnReceived(ChatMember member, ref ReadOnlySequence<byte> buffer, int maxLine, TokenBucket? budget, LimitCounter? tooLong, out TimeSpan pause)
    {
        pause = TimeSpan.Zero;

        // Everything one receive brought is published before anyone is woken: each woken member then
        // sends the whole batch in one write, as a select() loop forwarding a read buffer would.
        WakeBatch.Begin();
        try
        {
            while (true)
            {
                var before = buffer;
                if (member.ClaimPending)
                {
                    // A /nick is being claimed across the cluster: what follows it waits, in order.
                    pause = ClaimPoll;
                    return true;
                }

                switch (LineFramer.TryReadLine(ref buffer, maxLine, out ReadOnlySequence<byte> line))
                {
                    case LineStatus.Line:
                        if (budget is not null && (pause = budget.Take()) > TimeSpan.Zero)
                        {
                            buffer = before;
                            return true;
                        }

                        if (!OnLine(member, line))
                        {
                            return false;
                        }

                        break;
                    case LineStatus.NeedMore:
                        return true;
                    default:
                        tooLong?.Hit();
                        LineTooLong(member);
                        return false;
                }
            }
        }
        finally
        {
            WakeBatch.End();
        }
    }

    /// <summary>
    /// The member sent a line over the limit: it gets <c>! line too long</c>, its sink is closed and the
    /// room gets <c>* NAME left</c>.
    /// </summary>
    public void LineTooLong(ChatMember member) => Leave(member, tooSlow: false, "! line too long"u8);

    /// <summary>
    /// The member left a line unfinished for too long: it gets <c>! line timeout</c>, its sink is closed and the
    /// room gets <c>* NAME left</c>.
    /// </summary>
    public void LineTimedOut(ChatMember member) => Leave(member, tooSlow: false, "! line timeout"u8);

    /// <summary>
    /// The member is gone (connection closed, idle, or too slow): the room gets <c>* NAME left</c> or
    /// <c>* NAME left (too slow)</c> and the sink is asked to close (to abort, if too slow). What was queued
    /// for the member stays queued for the final flush unless <paramref name="discardOutput"/> (or too slow).
    /// Idempotent: only the first call for a member has any effect.
    /// </summary>
    public void Disconnect(ChatMember member, bool tooSlow = false, bool discardOutput = false)
    {
        ArgumentNullException.ThrowIfNull(member);
        List<ChatMember>? refused = null;
        LeaveCore(member, tooSlow, default, discardOutput, ref refused);
        CutOff(refused);
    }

    /// <summary>
    /// Sends <c>* server shutting down</c> to every member as its last line and asks every sink to close
    /// (flushing what is queued). From then on the hub relays and announces nothing; members still have to
    /// be <see cref="Disconnect"/>ed by their transports, silently.
    /// </summary>
    public void BroadcastShutdown()
    {
        var sinks = new List<IChatMemberSink>();
        lock (_lock)
        {
            if (_shuttingDown)
            {
                return;
            }

            _shuttingDown = true;
            _bridge?.Stopping();
            ChatMessage notice = ChatMessage.Compose(_pool, "* server shutting down"u8);
            foreach (ChatMember member in _members.Values)
            {
                // Out of the room with the notice as the last line (after what the member has not read yet).
                // Refusals don't matter any more: everyone is being closed.
                ChatSeat? seat = member.Seat;
                member.MoveTo(null, notice, last: true);
                if (seat is not null)
                {
                    CloseIfEmptyLocked(seat.Room);
                }

                sinks.Add(member.Sink);
            }

            notice.Release();
        }

        foreach (IChatMemberSink sink in sinks)
        {
            sink.Close();
        }
    }

    /// <summary>
    /// Relays <c>&lt;NAME&gt; text</c> to everyone in <paramref name="room"/> but the sender, without the hub
    /// lock: encoded once, published once into the room's ring.
    /// </summary>
    internal void Relay(ChatMember sender, ChatRoom room, ReadOnlySpan<byte> text)
    {
        ChatSeat[] seats = room.Seats;
        bool localReaders = !(seats.Length <= 1 && (seats.Length == 0 || seats[0].Member == sender));
        IChatBridge? bridge = _bridge;
        if (!localReaders && bridge is null)
        {
            return;
        }

        Interlocked.Increment(ref _linesRelayed);
        bridge?.Line(room.Name, sender.NameBytes, text);
        if (!localReaders)
        {
            return;
        }

        List<ChatMember>? slow = null;
        ChatMessage message = ChatMessage.FromMember(_pool, sender.NameBytes, text);
        room.Ring.Publish(message, sender, ref slow);
        message.Release();
        CutOff(slow);
    }

    /// <summary>Removes a member for good; the common end of /quit, too-long lines, cut-offs and disconnects.</summary>
    private void Leave(ChatMember member, bool tooSlow, ReadOnlySpan<byte> lastLine)
    {
        ArgumentNullException.ThrowIfNull(member);
        List<ChatMember>? refused = null;
        LeaveCore(member, tooSlow, lastLine, discardOutput: false, ref refused);
        CutOff(refused);
    }

    private void LeaveCore(ChatMember member, bool tooSlow, ReadOnlySpan<byte> lastLine, bool discardOutput, ref List<ChatMember>? refused)
    {
        lock (_lock)
        {
            if (member.HasLeft)
            {
                return;
            }

            member.MarkLeft();
            if (tooSlow)
            {
                _membersCutOff++;
            }

            _members.Remove(member.Name);
            _bridge?.Release(member.Name);
            ChatSeat? seat = member.Seat;

            // Out of the room and the last line queued in one step: nothing can follow "* bye". A member cut
            // off or whose connection is gone gets nothing more: its backlog is dropped, not copied.
            ChatMessage? last = lastLine.IsEmpty ? null : ChatMessage.Compose(_pool, lastLine);
            member.MoveTo(null, last, last: true, discard: tooSlow || discardOutput);
            last?.Release();
            if (seat is not null)
            {
                CloseIfEmptyLocked(seat.Room);
            }

            if (seat is not null && !_shuttingDown)
            {
                ReadOnlySpan<byte> reason = tooSlow ? " left (too slow)"u8 : " left"u8;
                NotifyRoomLocked(seat.Room, null, ref refused, "* "u8, member.NameBytes, reason);
                _bridge?.Left(seat.Room.Name, member.Name, tooSlow);
            }
        }

        if (tooSlow)
        {
            if (_cutOffLog.TryLog(out long suppressed))
            {
                Log.MemberCutOff(Logger, member.Name, suppressed);
            }

            member.Sink.Abort();
        }
        else
        {
            member.Sink.Close();
        }
    }

    /// <summary>Cuts off, one after another, every member whose sink refused a line (which may refuse more).</summary>
    private void CutOff(List<ChatMember>? refused)
    {
        if (refused is null)
        {
            return;
        }

        // The list grows while it is walked: each cut-off can make further sinks refuse.
        List<ChatMember>? more = refused;
        for (int i = 0; i < refused.Count; i++)
        {
            LeaveCore(refused[i], tooSlow: true, default, discardOutput: true, ref more);
        }
    }

    /// <summary>Sends one line to the member alone, outside the hub lock.</summary>
    private void Tell(ChatMember member, ReadOnlySpan<byte> part0, ReadOnlySpan<byte> part1 = default, ReadOnlySpan<byte> part2 = default) =>
        Tell(member, ChatMessage.Compose(_pool, part0, part1, part2));

    /// <summary>Sends <paramref name="message"/> to the member alone, outside the hub lock, and releases it.</summary>
    private void Tell(ChatMember member, ChatMessage message)
    {
        bool accepted = member.Deliver(message);
        message.Release();
        if (!accepted)
        {
            Disconnect(member, tooSlow: true);
        }
    }

    /// <summary>Sends one line to the member alone, under the hub lock, and releases it.</summary>
    private static void TellLocked(ChatMember member, ChatMessage message, ref List<ChatMember>? refused)
    {
        if (!member.Deliver(message))
        {
            (refused ??= []).Add(member);
        }

        message.Release();
    }

    /// <summary>Encodes a notice once and publishes it to everyone in the room except <paramref name="except"/>.</summary>
    private void NotifyRoomLocked(
        ChatRoom room,
        ChatMember? except,
        ref List<ChatMember>? refused,
        ReadOnlySpan<byte> part0,
        ReadOnlySpan<byte> part1,
        ReadOnlySpan<byte> part2,
        ReadOnlySpan<byte> part3 = default)
    {
        ChatSeat[] seats = room.Seats;
        if (seats.Length == 0 || (seats.Length == 1 && seats[0].Member == except))
        {
            return;
        }

        ChatMessage message = ChatMessage.Compose(_pool, part0, part1, part2, part3);
        room.Ring.Publish(message, except, ref refused);
        message.Release();
    }

    private ChatRoom GetOrCreateRoomLocked(string name)
    {
        if (!_rooms.TryGetValue(name, out ChatRoom? room))
        {
            room = new ChatRoom(name, new RoomRing(_maxPendingOutput, MaxRingCapacity, WakeCoalescing, WakeScheduler, _time));
            _rooms.Add(name, room);
        }

        return room;
    }

    /// <summary>A room whose last member left is forgotten and its ring's lines released.</summary>
    private void CloseIfEmptyLocked(ChatRoom room)
    {
        if (room.Count == 0 && _rooms.TryGetValue(room.Name, out ChatRoom? current) && current == room)
        {
            _rooms.Remove(room.Name);
            room.Ring.Close();
        }
    }

    private string NextFreeName()
    {
        // A member may have taken "userN" by /nick before the counter got there: skip it.
        string name;
        do
        {
            name = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"user{++_lastUserNumber}");
        }
        while (_members.ContainsKey(name) || _remote.Contains(name));

        return name;
    }
}
