using PipeChat.Protocols.Chat;

namespace PipeChat.Fuzz.Harnesses;

/// <summary>
/// The UDP chat registry fed datagrams from fuzz-chosen addresses, with idle expiry and shutdown at
/// fuzz-chosen times.
/// </summary>
/// <remarks>
/// <para>Checked: no exception; at most max-registrations registrations, names valid and unique ignoring
/// case; every reply is one datagram ending in <c>\n</c> that starts with <c>* </c>, <c>! </c> or
/// <c>&lt;NAME&gt; </c>; relayed text never goes back to its sender and is within the limit; replies go only
/// to the sender or to addresses registered before or after the call; no message is leaked.</para>
/// <para>Input: a config byte (bits 0-2: max registrations - 1; bits 3-7: max message / 4), then
/// operations: a byte whose high 4 bits are the action and low 4 bits the address, then the action's
/// bytes (see <see cref="Run"/>).</para>
/// </remarks>
public static class UdpChatRegistryHarness
{
    private const int Addresses = 16;

    public static void Run(ReadOnlySpan<byte> data)
    {
        var input = new FuzzInput(data);
        byte config = input.NextByte();
        int maxRegistrations = 1 + (config & 7);
        int maxMessage = (config >> 3) * 4;
        var pool = new ChatMessagePool();
        var clock = new ManualClock();
        var registry = new UdpChatRegistry<int>(maxRegistrations, pool: pool, maxMessage: maxMessage, time: clock);
        var replies = new List<UdpChatReply<int>>();
        while (!input.IsEmpty)
        {
            byte op = input.NextByte();
            int address = op & 0xF;
            bool[] before = Registered(registry);
            int sender = -1;
            ReadOnlySpan<byte> datagram = default;
            switch (op >> 4)
            {
                case < 12:
                    sender = address;
                    datagram = input.Take(input.NextByte());
                    registry.OnDatagram(address, datagram, replies);
                    break;
                case 12 or 13:
                    clock.Advance(TimeSpan.FromMilliseconds(input.NextByte() * 250));
                    break;
                case 14:
                    int expired = registry.ExpireIdle(TimeSpan.FromMilliseconds(input.NextByte() * 250), replies);
                    InvariantViolationException.Check(expired >= 0 && expired <= maxRegistrations, $"expired {expired}");
                    break;
                default:
                    if (address == 0xF)
                    {
                        registry.BroadcastShutdown(replies);
                    }

                    break;
            }

            CheckRelayed(registry, replies, sender, datagram);
            CheckReplies(replies, sender, before, Registered(registry), maxMessage);
            CheckNames(registry, maxRegistrations);
        }

        bool[] last = Registered(registry);
        registry.BroadcastShutdown(replies);
        CheckReplies(replies, -1, last, new bool[Addresses], maxMessage);
        InvariantViolationException.Check(registry.Count == 0, "registrations left after shutdown");
        InvariantViolationException.Check(pool.Outstanding == 0, $"{pool.Outstanding} messages never released");
    }

    private static bool[] Registered(UdpChatRegistry<int> registry)
    {
        var registered = new bool[Addresses];
        for (int address = 0; address < Addresses; address++)
        {
            registered[address] = registry.TryGetName(address, out _);
        }

        return registered;
    }

    private static void CheckNames(UdpChatRegistry<int> registry, int maxRegistrations)
    {
        var names = new HashSet<string>(ChatNames.Comparer);
        for (int address = 0; address < Addresses; address++)
        {
            if (registry.TryGetName(address, out string? name))
            {
                InvariantViolationException.Check(ChatNames.IsValid(name), $"invalid name {name}");
                InvariantViolationException.Check(names.Add(name), $"name {name} held twice");
            }
        }

        InvariantViolationException.Check(registry.Count == names.Count, $"Count {registry.Count} but {names.Count} addresses have names");
        InvariantViolationException.Check(names.Count <= maxRegistrations, $"{names.Count} registrations over the limit {maxRegistrations}");
    }

    /// <summary>
    /// A relayed line names its sender as registered, and its text, when plain printable ASCII (which no
    /// sanitising changes), is the datagram without its newline.
    /// </summary>
    private static void CheckRelayed(UdpChatRegistry<int> registry, List<UdpChatReply<int>> replies, int sender, ReadOnlySpan<byte> datagram)
    {
        ReadOnlySpan<byte> text = datagram.EndsWith("\r\n"u8) ? datagram[..^2] : datagram.EndsWith("\n"u8) ? datagram[..^1] : datagram;
        foreach (UdpChatReply<int> reply in replies)
        {
            ReadOnlySpan<byte> line = reply.Message.Span[..^1];
            if (!line.StartsWith("<"u8))
            {
                continue;
            }

            string? name = null;
            InvariantViolationException.Check(sender >= 0 && registry.TryGetName(sender, out name), "relayed without a registered sender");
            name ??= string.Empty;
            InvariantViolationException.Check(line[1..].StartsWith(System.Text.Encoding.ASCII.GetBytes(name + "> ")), $"relayed under another name than {name}");
            ReadOnlySpan<byte> relayed = line[(name.Length + 3)..];
            InvariantViolationException.Check(
                relayed.ContainsAnyExceptInRange((byte)0x20, (byte)0x7E) || relayed.SequenceEqual(text),
                "relayed text differs from the datagram");
        }
    }

    /// <summary>Checks and releases the replies of one call (each reply owns one reference).</summary>
    private static void CheckReplies(List<UdpChatReply<int>> replies, int sender, bool[] before, bool[] after, int maxMessage)
    {
        try
        {
            foreach (UdpChatReply<int> reply in replies)
            {
                int to = reply.Destination;
                InvariantViolationException.Check(to == sender || before[to] || after[to], $"reply to {to}, which is neither the sender nor registered");
                ReadOnlySpan<byte> message = reply.Message.Span;
                InvariantViolationException.Check(message.Length > 0 && message[^1] == (byte)'\n', "reply does not end in a newline");
                ReadOnlySpan<byte> line = message[..^1];
                if (line.StartsWith("<"u8))
                {
                    InvariantViolationException.Check(to != sender, "a message went back to its sender");
                    int close = line.IndexOf("> "u8);
                    InvariantViolationException.Check(close > 0 && ChatNames.IsValid(line[1..close]), "relayed without a valid name");
                    InvariantViolationException.Check(line.Length - close - 2 <= 3 * maxMessage, "relayed text over the limit");
                }
                else
                {
                    InvariantViolationException.Check(line.StartsWith("* "u8) || line.StartsWith("! "u8), "reply is neither notice, error nor message");
                }
            }
        }
        finally
        {
            foreach (UdpChatReply<int> reply in replies)
            {
                reply.Message.Release();
            }

            replies.Clear();
        }
    }
}
