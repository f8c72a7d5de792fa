using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using PipeChat.Diagnostics;

namespace PipeChat.Protocols.Chat;

/// <summary>
/// The UDP chat (docs/protocols.md) without sockets or clocks: who is registered under which name, and which datagrams
/// each incoming datagram causes. Thread-safe (one lock); replies are appended to a collection the caller
/// owns and sends after the call returns, outside the lock.
/// </summary>
/// <typeparam name="TKey">
/// The sender's address as the transport knows it, e.g. <see cref="System.Net.SocketAddress"/> or
/// <see cref="System.Net.IPEndPoint"/>. Compared with the given comparer (default: its own equality).
/// </typeparam>
/// <remarks>
/// <para>
/// Time comes from the <see cref="TimeProvider"/> given (tests pass a fake one). A registration's idle time
/// counts from the last datagram it sent, whatever it was.
/// </para>
/// <para>
/// Flood limits (docs/protocols.md): each source address has a token bucket of <c>maxLineRate</c> datagrams a second
/// (bursts up to that many); datagrams past it are dropped before anything else and counted in
/// <see cref="DatagramsDropped"/>. <c>! not registered</c> goes to one address at most once a second.
/// Registered addresses keep their state in their registration (at most <c>maxRegistrations</c>);
/// unregistered ones in a table of at most <see cref="MaxStrangers"/> entries. An entry idle for a second
/// is the same as a fresh one and is evicted when room is needed; while the table is full of addresses
/// heard within the last second, datagrams from further unregistered addresses are dropped unanswered and
/// counted, so a spoofed-source flood costs bounded memory and draws at most that many replies a second;
/// only a <c>#REG</c> that will succeed still gets through (registrations are bounded themselves).
/// </para>
/// <para>
/// Choices where docs/protocols.md is silent: <c>#REG</c> without a name from a registered address keeps the name
/// and replies <c>* registered NAME</c> again; a rename tells the others <c>* OLD is now NEW</c>; empty
/// datagrams from a registered address only count as activity; <c>#DEREG</c> from an unregistered address
/// gets the not-registered error; commands are matched case-sensitively on the first word, so
/// <c>#DEREG now</c> deregisters and <c>#REGx</c> is ordinary text.
/// </para>
/// </remarks>
public sealed class UdpChatRegistry<TKey>
    where TKey : notnull
{
    private readonly Lock _lock = new();
    private readonly Dictionary<TKey, Registration> _byKey;
    private readonly Dictionary<string, Registration> _byName = new(ChatNames.Comparer);
    private readonly int _maxRegistrations;
    private readonly int _maxMessage;
    private readonly Func<TKey, TKey>? _cloneKey;
    private readonly ChatMessagePool _pool;
    private readonly TimeProvider _time;
    private readonly long _origin;
    private readonly int _maxLineRate;
    private readonly Dictionary<TKey, SenderLimit> _strangers;
    private TimeSpan _nextSweep;
    private long _datagramsDropped;
    private long _notRegisteredHeldBack;
    private long _lastUserNumber;
    private bool _shuttingDown;

    /// <summary>Creates an empty registry.</summary>
    /// <param name="maxRegistrations">Most registrations held at once (<c>--max-connections</c>); more get <c>! server full</c>.</param>
    /// <param name="comparer">Key equality; null for <see cref="EqualityComparer{T}.Default"/>.</param>
    /// <param name="cloneKey">
    /// Copies a key before the registry keeps it. Needed when the transport reuses one mutable key object
    /// for every receive (a <see cref="System.Net.SocketAddress"/> filled by <c>ReceiveFromAsync</c>).
    /// </param>
    /// <param name="pool">Where messages come from; null for <see cref="ChatMessagePool.Shared"/>.</param>
    /// <param name="maxMessage">
    /// Longest text relayed, in bytes after the trailing newline is removed (the transport passes
    /// <c>--max-line</c>); longer datagrams are answered with <c>! line too long</c> and dropped. The
    /// relayed text is sanitized (<see cref="ChatText"/>) and may grow up to three times; a relayed datagram
    /// that would exceed <see cref="MaxDatagram"/> is answered with <c>! line too long</c> as well.
    /// </param>
    /// <param name="time">The clock; null for <see cref="TimeProvider.System"/>.</param>
    /// <param name="maxLineRate">Datagrams per address per second, bursts up to as many (<c>--max-line-rate</c>); 0 = unlimited.</param>
    public UdpChatRegistry(
        int maxRegistrations,
        IEqualityComparer<TKey>? comparer = null,
        Func<TKey, TKey>? cloneKey = null,
        ChatMessagePool? pool = null,
        int maxMessage = int.MaxValue,
        TimeProvider? time = null,
        int maxLineRate = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxRegistrations);
        ArgumentOutOfRangeException.ThrowIfNegative(maxMessage);
        ArgumentOutOfRangeException.ThrowIfNegative(maxLineRate);
        _maxRegistrations = maxRegistrations;
        _maxMessage = maxMessage;
        _cloneKey = cloneKey;
        _pool = pool ?? ChatMessagePool.Shared;
        _time = time ?? TimeProvider.System;
        _origin = _time.GetTimestamp();
        _maxLineRate = maxLineRate;
        _byKey = new Dictionary<TKey, Registration>(comparer);
        _strangers = new Dictionary<TKey, SenderLimit>(comparer);
    }

    /// <summary>Largest UDP payload over IPv4; a relayed datagram longer than this could not be sent.</summary>
    public const int MaxDatagram = 65507;

    /// <summary>Unregistered addresses whose limits are tracked at once.</summary>
    public int MaxStrangers { get; init; } = 4096;

    /// <summary>Datagrams dropped unread: over the rate, or from a new address while the stranger table was full.</summary>
    public long DatagramsDropped => Interlocked.Read(ref _datagramsDropped);

    /// <summary><c>#REG</c> refused with <c>! server full</c> (the host passes one that logs).</summary>
    public LimitCounter RegistrationsRefused { get; init; } = new("max-connections (UDP registrations)");

    /// <summary>Datagrams refused with <c>! line too long</c> (the host passes one that logs).</summary>
    public LimitCounter LinesTooLong { get; init; } = new("max line");

    /// <summary>Registrations dropped by <see cref="ExpireIdle"/> (the host passes one that logs).</summary>
    public LimitCounter IdleTimeouts { get; init; } = new("idle timeout");

    /// <summary><c>! not registered</c> replies held back because the address had one less than a second ago.</summary>
    public long NotRegisteredHeldBack => Interlocked.Read(ref _notRegisteredHeldBack);

    /// <summary>Unregistered addresses tracked now (bounded by <see cref="MaxStrangers"/>).</summary>
    public int StrangerCount
    {
        get
        {
            lock (_lock)
            {
                return _strangers.Count;
            }
        }
    }

    /// <summary>Registrations currently held.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _byKey.Count;
            }
        }
    }

    /// <summary>The name registered for <paramref name="key"/>, if any.</summary>
    public bool TryGetName(TKey key, [NotNullWhen(true)] out string? name)
    {
        lock (_lock)
        {
            name = _byKey.TryGetValue(key, out Registration? registration) ? registration.Name : null;
            return name is not null;
        }
    }

    /// <summary>
    /// Handles one datagram from <paramref name="sender"/>, appending the datagrams to send to
    /// <paramref name="replies"/>. Each reply owns one message reference.
    /// </summary>
    /// <returns>False when the datagram was dropped unread by the flood limits.</returns>
    public bool OnDatagram(TKey sender, ReadOnlySpan<byte> datagram, ICollection<UdpChatReply<TKey>> replies)
    {
        ArgumentNullException.ThrowIfNull(sender);
        ArgumentNullException.ThrowIfNull(replies);
        ReadOnlySpan<byte> text = WithoutNewline(datagram);
        int space = text.IndexOf((byte)' ');
        ReadOnlySpan<byte> word = space < 0 ? text : text[..space];
        ReadOnlySpan<byte> rest = space < 0 ? default : text[(space + 1)..].Trim((byte)' ');

        lock (_lock)
        {
            if (_shuttingDown)
            {
                return true;
            }

            TimeSpan now = Now;
            _byKey.TryGetValue(sender, out Registration? registration);
            SenderLimit? limit = registration?.Limit ?? StrangerLimit(sender, now);
            if (limit is null && word.SequenceEqual("#REG"u8) && WillRegister(rest))
            {
                // No room to track this address, but a registration that succeeds brings its own limits
                // (registrations are bounded): members can still join during a spoofed-source flood.
                limit = new SenderLimit(now, _maxLineRate);
            }

            if (limit is null || !limit.TryTake(now, _maxLineRate))
            {
                _datagramsDropped++;
                return false;
            }

            if (registration is not null)
            {
                registration.LastSent = now;
            }

            if (word.SequenceEqual("#REG"u8))
            {
                Register(sender, registration, rest, now, limit, replies);
            }
            else if (registration is null)
            {
                if (limit.TryNotRegistered(now))
                {
                    Reply(replies, Keep(sender), "! not registered: send #REG [name]"u8);
                }
                else
                {
                    _notRegisteredHeldBack++;
                }
            }
            else if (word.SequenceEqual("#DEREG"u8))
            {
                RemoveLocked(registration);
                Reply(replies, registration.Key, "* deregistered"u8);
                Broadcast(replies, registration, "* "u8, registration.NameBytes, " left"u8);
            }
            else if (text.Length > _maxMessage)
            {
                LinesTooLong.Hit();
                Reply(replies, registration.Key, "! line too long"u8);
            }
            else if (!text.IsEmpty)
            {
                Relay(replies, registration, text);
            }

            return true;
        }
    }

    /// <summary>
    /// Drops every registration that has sent nothing for <paramref name="idleTimeout"/> or longer, telling
    /// the others <c>* NAME left</c>. A zero or negative timeout means off.
    /// </summary>
    /// <returns>How many registrations were dropped.</returns>
    public int ExpireIdle(TimeSpan idleTimeout, ICollection<UdpChatReply<TKey>> replies)
    {
        ArgumentNullException.ThrowIfNull(replies);
        if (idleTimeout <= TimeSpan.Zero)
        {
            return 0;
        }

        lock (_lock)
        {
            TimeSpan now = Now;
            List<Registration>? expired = null;
            foreach (Registration registration in _byKey.Values)
            {
                if (now - registration.LastSent >= idleTimeout)
                {
                    (expired ??= []).Add(registration);
                }
            }

            if (expired is null)
            {
                return 0;
            }

            // Remove them all first so none of the expired hears about another.
            foreach (Registration registration in expired)
            {
                RemoveLocked(registration);
                IdleTimeouts.Hit();
            }

            foreach (Registration registration in expired)
            {
                Broadcast(replies, null, "* "u8, registration.NameBytes, " left"u8);
            }

            return expired.Count;
        }
    }

    /// <summary>
    /// Sends <c>* server shutting down</c> to every registration and forgets them all; later datagrams are
    /// ignored.
    /// </summary>
    public void BroadcastShutdown(ICollection<UdpChatReply<TKey>> replies)
    {
        ArgumentNullException.ThrowIfNull(replies);
        lock (_lock)
        {
            if (_shuttingDown)
            {
                return;
            }

            _shuttingDown = true;
            Broadcast(replies, null, "* server shutting down"u8);
            _byKey.Clear();
            _byName.Clear();
            _strangers.Clear();
        }
    }

    private static ReadOnlySpan<byte> WithoutNewline(ReadOnlySpan<byte> datagram)
    {
        if (datagram.EndsWith((byte)'\n'))
        {
            datagram = datagram[..^1];
            if (datagram.EndsWith((byte)'\r'))
            {
                datagram = datagram[..^1];
            }
        }

        return datagram;
    }

    private TimeSpan Now => _time.GetElapsedTime(_origin);

    /// <summary>
    /// The limits of an unregistered address, tracked from its first datagram; null when the table is full of
    /// addresses heard within the last second (evicting one of those would forget a limit still running).
    /// </summary>
    private SenderLimit? StrangerLimit(TKey sender, TimeSpan now)
    {
        if (_strangers.TryGetValue(sender, out SenderLimit? limit))
        {
            return limit;
        }

        if (_strangers.Count >= MaxStrangers)
        {
            // One sweep a second at most: entries only become evictable a second after their last datagram.
            if (now < _nextSweep)
            {
                return null;
            }

            _nextSweep = now + SenderLimit.Window;
            List<TKey>? idle = null;
            foreach ((TKey key, SenderLimit entry) in _strangers)
            {
                if (entry.IsFresh(now))
                {
                    (idle ??= []).Add(key);
                }
            }

            if (idle is null)
            {
                return null;
            }

            foreach (TKey key in idle)
            {
                _strangers.Remove(key);
            }
        }

        limit = new SenderLimit(now, _maxLineRate);
        _strangers.Add(Keep(sender), limit);
        return limit;
    }

    /// <summary>True when <c>#REG</c> with <paramref name="requested"/> from a new address would succeed.</summary>
    private bool WillRegister(ReadOnlySpan<byte> requested) =>
        _byKey.Count < _maxRegistrations &&
        (requested.IsEmpty || (ChatNames.IsValid(requested) && !_byName.ContainsKey(ChatNames.ToName(requested))));

    /// <summary>
    /// <c>&lt;NAME&gt; text</c> to the others, the text sanitized once; refused when the sanitized datagram
    /// could not be sent.
    /// </summary>
    private void Relay(ICollection<UdpChatReply<TKey>> replies, Registration sender, ReadOnlySpan<byte> text)
    {
        if (_byKey.Count <= 1)
        {
            return;
        }

        ChatMessage message = ChatMessage.FromMember(_pool, sender.NameBytes, text);
        if (message.Length > MaxDatagram)
        {
            message.Release();
            LinesTooLong.Hit();
            Reply(replies, sender.Key, "! line too long"u8);
            return;
        }

        Broadcast(replies, sender, message);
    }

    private void Register(TKey sender, Registration? registration, ReadOnlySpan<byte> requested, TimeSpan now, SenderLimit limit, ICollection<UdpChatReply<TKey>> replies)
    {
        if (registration is not null && (requested.IsEmpty || requested.SequenceEqual(registration.NameBytes)))
        {
            // Registering again under the same (or no new) name just confirms it.
            Reply(replies, registration.Key, "* registered "u8, registration.NameBytes);
            return;
        }

        if (registration is null && _byKey.Count >= _maxRegistrations)
        {
            RegistrationsRefused.Hit();
            Reply(replies, Keep(sender), "! server full"u8);
            return;
        }

        string name;
        if (requested.IsEmpty)
        {
            name = NextFreeName();
        }
        else if (!ChatNames.IsValid(requested))
        {
            Reply(replies, ReplyKey(sender, registration), "! invalid name"u8);
            return;
        }
        else
        {
            name = ChatNames.ToName(requested);
            if (_byName.TryGetValue(name, out Registration? holder) && holder != registration)
            {
                Reply(replies, ReplyKey(sender, registration), "! name "u8, requested, " is taken"u8);
                return;
            }
        }

        if (registration is null)
        {
            // The address's limits move from the stranger table into its registration.
            _strangers.Remove(sender);
            var added = new Registration(Keep(sender), name, now, limit);
            _byKey.Add(added.Key, added);
            _byName.Add(name, added);
            Reply(replies, added.Key, "* registered "u8, added.NameBytes);
            Broadcast(replies, added, "* "u8, added.NameBytes, " joined"u8);
        }
        else
        {
            byte[] oldName = registration.NameBytes;
            _byName.Remove(registration.Name);
            registration.Rename(name);
            _byName.Add(name, registration);
            Reply(replies, registration.Key, "* registered "u8, registration.NameBytes);
            Broadcast(replies, registration, "* "u8, oldName, " is now "u8, registration.NameBytes);
        }
    }

    private void RemoveLocked(Registration registration)
    {
        _byKey.Remove(registration.Key);
        _byName.Remove(registration.Name);

        // Leaving does not reset the address's limits while they still run (if there is room to keep them).
        if (_strangers.Count < MaxStrangers && !registration.Limit.IsFresh(Now))
        {
            _strangers.TryAdd(registration.Key, registration.Limit);
        }
    }

    private void Reply(
        ICollection<UdpChatReply<TKey>> replies,
        TKey destination,
        ReadOnlySpan<byte> part0,
        ReadOnlySpan<byte> part1 = default,
        ReadOnlySpan<byte> part2 = default) =>
        replies.Add(new UdpChatReply<TKey>(destination, ChatMessage.Compose(_pool, part0, part1, part2)));

    /// <summary>Encodes once and adds a reply per registration other than <paramref name="except"/>.</summary>
    private void Broadcast(
        ICollection<UdpChatReply<TKey>> replies,
        Registration? except,
        ReadOnlySpan<byte> part0,
        ReadOnlySpan<byte> part1 = default,
        ReadOnlySpan<byte> part2 = default,
        ReadOnlySpan<byte> part3 = default)
    {
        int recipients = _byKey.Count - (except is not null && _byKey.ContainsKey(except.Key) ? 1 : 0);
        if (recipients <= 0)
        {
            return;
        }

        Broadcast(replies, except, ChatMessage.Compose(_pool, part0, part1, part2, part3));
    }

    /// <summary>Adds a reply with <paramref name="message"/> per registration other than <paramref name="except"/>; takes over its reference.</summary>
    private void Broadcast(ICollection<UdpChatReply<TKey>> replies, Registration? except, ChatMessage message)
    {
        int recipients = _byKey.Count - (except is not null && _byKey.ContainsKey(except.Key) ? 1 : 0);
        if (recipients <= 0)
        {
            message.Release();
            return;
        }

        // The creator's reference goes to the first reply, one more for each further one.
        if (recipients > 1)
        {
            message.AddRef(recipients - 1);
        }

        foreach (Registration registration in _byKey.Values)
        {
            if (registration != except)
            {
                replies.Add(new UdpChatReply<TKey>(registration.Key, message));
            }
        }
    }

    private TKey ReplyKey(TKey sender, Registration? registration) =>
        registration is null ? Keep(sender) : registration.Key;

    private TKey Keep(TKey key) => _cloneKey is null ? key : _cloneKey(key);

    private string NextFreeName()
    {
        string name;
        do
        {
            name = string.Create(CultureInfo.InvariantCulture, $"user{++_lastUserNumber}");
        }
        while (_byName.ContainsKey(name));

        return name;
    }

    private sealed class Registration(TKey key, string name, TimeSpan lastSent, SenderLimit limit)
    {
        public TKey Key { get; } = key;

        public SenderLimit Limit { get; } = limit;

        public string Name { get; private set; } = name;

        public byte[] NameBytes { get; private set; } = Encoding.ASCII.GetBytes(name);

        public TimeSpan LastSent { get; set; } = lastSent;

        public void Rename(string name)
        {
            Name = name;
            NameBytes = Encoding.ASCII.GetBytes(name);
        }
    }
}
