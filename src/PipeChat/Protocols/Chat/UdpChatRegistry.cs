using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace PipeChat.Protocols.Chat;

/// <summary>
/// The UDP chat (SPEC §7) without sockets or clocks: who is registered under which name, and which datagrams
/// each incoming datagram causes. Thread-safe (one lock); replies are appended to a collection the caller
/// owns and sends after the call returns, outside the lock.
/// </summary>
/// <typeparam name="TKey">
/// The sender's address as the transport knows it, e.g. <see cref="System.Net.SocketAddress"/> or
/// <see cref="System.Net.IPEndPoint"/>. Compared with the given comparer (default: its own equality).
/// </typeparam>
/// <remarks>
/// <para>
/// Time is whatever monotonic clock the caller reads (for example <c>Stopwatch.GetElapsedTime(start)</c>),
/// passed as <c>now</c>. A registration's idle time counts from the last datagram it sent, whatever it was.
/// </para>
/// <para>
/// Choices where SPEC §7 is silent: <c>#REG</c> without a name from a registered address keeps the name
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
    /// <c>--max-line</c>); longer datagrams are answered with <c>! line too long</c> and dropped.
    /// </param>
    public UdpChatRegistry(
        int maxRegistrations,
        IEqualityComparer<TKey>? comparer = null,
        Func<TKey, TKey>? cloneKey = null,
        ChatMessagePool? pool = null,
        int maxMessage = int.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxRegistrations);
        ArgumentOutOfRangeException.ThrowIfNegative(maxMessage);
        _maxRegistrations = maxRegistrations;
        _maxMessage = maxMessage;
        _cloneKey = cloneKey;
        _pool = pool ?? ChatMessagePool.Shared;
        _byKey = new Dictionary<TKey, Registration>(comparer);
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
    /// Handles one datagram from <paramref name="sender"/> received at <paramref name="now"/>, appending the
    /// datagrams to send to <paramref name="replies"/>. Each reply owns one message reference.
    /// </summary>
    public void OnDatagram(TKey sender, ReadOnlySpan<byte> datagram, TimeSpan now, ICollection<UdpChatReply<TKey>> replies)
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
                return;
            }

            _byKey.TryGetValue(sender, out Registration? registration);
            if (registration is not null)
            {
                registration.LastSent = now;
            }

            if (word.SequenceEqual("#REG"u8))
            {
                Register(sender, registration, rest, now, replies);
            }
            else if (registration is null)
            {
                Reply(replies, Keep(sender), "! not registered: send #REG [name]"u8);
            }
            else if (word.SequenceEqual("#DEREG"u8))
            {
                RemoveLocked(registration);
                Reply(replies, registration.Key, "* deregistered"u8);
                Broadcast(replies, registration, "* "u8, registration.NameBytes, " left"u8);
            }
            else if (text.Length > _maxMessage)
            {
                Reply(replies, registration.Key, "! line too long"u8);
            }
            else if (!text.IsEmpty)
            {
                Broadcast(replies, registration, "<"u8, registration.NameBytes, "> "u8, text);
            }
        }
    }

    /// <summary>
    /// Drops every registration that has sent nothing for <paramref name="idleTimeout"/> or longer, telling
    /// the others <c>* NAME left</c>. A zero or negative timeout means off.
    /// </summary>
    /// <returns>How many registrations were dropped.</returns>
    public int ExpireIdle(TimeSpan now, TimeSpan idleTimeout, ICollection<UdpChatReply<TKey>> replies)
    {
        ArgumentNullException.ThrowIfNull(replies);
        if (idleTimeout <= TimeSpan.Zero)
        {
            return 0;
        }

        lock (_lock)
        {
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

    private void Register(TKey sender, Registration? registration, ReadOnlySpan<byte> requested, TimeSpan now, ICollection<UdpChatReply<TKey>> replies)
    {
        if (registration is not null && (requested.IsEmpty || requested.SequenceEqual(registration.NameBytes)))
        {
            // Registering again under the same (or no new) name just confirms it.
            Reply(replies, registration.Key, "* registered "u8, registration.NameBytes);
            return;
        }

        if (registration is null && _byKey.Count >= _maxRegistrations)
        {
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
            var added = new Registration(Keep(sender), name, now);
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

        ChatMessage message = ChatMessage.Compose(_pool, part0, part1, part2, part3);
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

    private sealed class Registration(TKey key, string name, TimeSpan lastSent)
    {
        public TKey Key { get; } = key;

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
