using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using PipeChat.Protocols.Chat;

namespace PipeChat.Tests.Chat;

public class UdpChatRegistryTests
{
    private static readonly TimeSpan T0 = TimeSpan.FromSeconds(100);
    private readonly ChatMessagePool _pool = new();
    private readonly List<UdpChatReply<string>> _replies = [];
    private readonly FakeTimeProvider _time = new();
    private readonly DateTimeOffset _start;
    private readonly UdpChatRegistry<string> _registry;

    public UdpChatRegistryTests()
    {
        _start = _time.GetUtcNow();
        _registry = new UdpChatRegistry<string>(maxRegistrations: 3, pool: _pool, maxMessage: 10, time: _time);
        At(T0);
    }

    /// <summary>Moves the fake clock to <paramref name="time"/> after the registry was made (never backwards).</summary>
    private void At(TimeSpan time)
    {
        if (_start + time > _time.GetUtcNow())
        {
            _time.SetUtcNow(_start + time);
        }
    }

    /// <summary>Feeds one datagram and returns the replies as "destination: line", releasing them like a transport.</summary>
    private string[] Send(string from, string datagram, TimeSpan? now = null) =>
        Send(from, Encoding.UTF8.GetBytes(datagram), now);

    private string[] Send(string from, byte[] datagram, TimeSpan? now = null)
    {
        At(now ?? T0);
        _registry.OnDatagram(from, datagram, _replies);
        return Drain();
    }

    private string[] Drain()
    {
        string[] lines = [.. _replies.Select(r => $"{r.Destination}: {Encoding.UTF8.GetString(r.Message.Span).TrimEnd('\n')}")];
        foreach (UdpChatReply<string> reply in _replies)
        {
            reply.Message.Release();
        }

        _replies.Clear();
        Assert.Equal(0, _pool.Outstanding);
        return lines;
    }

    [Fact]
    public void Reg_without_name_assigns_user_n_and_tells_the_others()
    {
        Assert.Equal(["A: * registered user1"], Send("A", "#REG"));
        Assert.Equal(["B: * registered user2", "A: * user2 joined"], Send("B", "#REG\n"));
        Assert.Equal(2, _registry.Count);
        Assert.True(_registry.TryGetName("B", out string? name));
        Assert.Equal("user2", name);
    }

    [Fact]
    public void Reg_with_name_uses_it()
    {
        Assert.Equal(["A: * registered alice"], Send("A", "#REG alice\r\n"));
        Assert.Equal(["B: * registered bob", "A: * bob joined"], Send("B", "#REG   bob  "));
    }

    [Theory]
    [InlineData("#REG bad name")]
    [InlineData("#REG b!b")]
    [InlineData("#REG abcdefghijklmnopqrstuvwxyz0123456")]
    public void Reg_with_invalid_name_is_refused(string datagram)
    {
        Assert.Equal(["A: ! invalid name"], Send("A", datagram));
        Assert.Equal(0, _registry.Count);
    }

    [Fact]
    public void Reg_with_a_name_taken_in_any_case_is_refused()
    {
        Send("A", "#REG alice");

        Assert.Equal(["B: ! name ALICE is taken"], Send("B", "#REG ALICE"));
        Assert.False(_registry.TryGetName("B", out _));
    }

    [Fact]
    public void Reg_again_renames()
    {
        Send("A", "#REG alice");
        Send("B", "#REG bob");

        Assert.Equal(["A: * registered carol", "B: * alice is now carol"], Send("A", "#REG carol"));
        Assert.Equal(["B: * registered alice", "A: * bob is now alice"], Send("B", "#REG alice"));
        Assert.Equal(["A: * registered Carol", "B: * carol is now Carol"], Send("A", "#REG Carol"));
        Assert.Equal(["A: ! name ALICE is taken"], Send("A", "#REG ALICE"));
        Assert.Equal(2, _registry.Count);
    }

    [Fact]
    public void Reg_again_with_no_or_the_same_name_just_confirms()
    {
        Send("A", "#REG alice");
        Send("B", "#REG");

        Assert.Equal(["A: * registered alice"], Send("A", "#REG"));
        Assert.Equal(["A: * registered alice"], Send("A", "#REG alice"));
    }

    [Fact]
    public void Dereg_says_goodbye_and_tells_the_others()
    {
        Send("A", "#REG alice");
        Send("B", "#REG bob");

        Assert.Equal(["A: * deregistered", "B: * alice left"], Send("A", "#DEREG\n"));
        Assert.Equal(["A: ! not registered: send #REG [name]"], Send("A", "hello"));
        Assert.Equal(1, _registry.Count);
        Assert.Equal(["C: * registered alice", "B: * alice joined"], Send("C", "#REG alice"));
    }

    [Fact]
    public void Text_is_relayed_to_every_other_registered_address()
    {
        Send("A", "#REG alice");
        Send("B", "#REG bob");
        Send("C", "#REG carol");

        string[] replies = Send("A", "hi all\r\n");

        Assert.Equal(["B: <alice> hi all", "C: <alice> hi all"], replies.Order());
    }

    [Fact]
    public void Relay_is_encoded_once_for_every_recipient()
    {
        Send("A", "#REG");
        Send("B", "#REG");
        Send("C", "#REG");

        _registry.OnDatagram("A", "hey"u8, _replies);

        Assert.Equal(2, _replies.Count);
        Assert.Same(_replies[0].Message, _replies[1].Message);
        Assert.Equal(2, _replies[0].Message.RefCount);
        Drain();
    }

    [Fact]
    public void Relay_replaces_control_characters_and_invalid_utf8()
    {
        Send("A", "#REG");
        Send("B", "#REG");

        _registry.OnDatagram("A", [0xFF, (byte)'\r', 0x00, (byte)'\t', 0xC2, 0x85, (byte)'\n'], _replies);

        Assert.Equal("<user1> \uFFFD\uFFFD\uFFFD\t\uFFFD\n", Encoding.UTF8.GetString(_replies[0].Message.Span));
        Drain();
    }

    [Fact]
    public void Lone_member_text_goes_nowhere()
    {
        Send("A", "#REG");

        Assert.Empty(Send("A", "anyone?"));
    }

    [Fact]
    public void Empty_datagram_from_a_member_is_ignored()
    {
        Send("A", "#REG");
        Send("B", "#REG");

        Assert.Empty(Send("A", "\n"));
        Assert.Empty(Send("A", ""));
    }

    [Theory]
    [InlineData("hello")]
    [InlineData("#DEREG")]
    [InlineData("#REGX")]
    [InlineData("")]
    public void Unregistered_address_is_told_to_register(string datagram)
    {
        Assert.Equal(["A: ! not registered: send #REG [name]"], Send("A", datagram));
    }

    [Fact]
    public void Commands_are_case_sensitive_and_need_the_whole_word()
    {
        Send("A", "#REG alice");
        Send("B", "#REG bob");

        Assert.Equal(["B: <alice> #reg x"], Send("A", "#reg x"));
        Assert.Equal(["B: <alice> #REGX"], Send("A", "#REGX"));
        Assert.Equal(["A: * deregistered", "B: * alice left"], Send("A", "#DEREG now"));
    }

    [Fact]
    public void Registrations_beyond_the_maximum_are_refused()
    {
        Send("A", "#REG");
        Send("B", "#REG");
        Send("C", "#REG");

        Assert.Equal(["D: ! server full"], Send("D", "#REG dave"));
        Assert.Equal(["D: ! server full"], Send("D", "#REG user1"));
        Assert.Equal(2, _registry.RegistrationsRefused.Count);
        Assert.Equal(["C: * registered carl", "A: * user3 is now carl", "B: * user3 is now carl"], Send("C", "#REG carl"));
        Send("A", "#DEREG");
        Assert.Equal(["D: * registered dave", "B: * dave joined", "C: * dave joined"], Send("D", "#REG dave"));
    }

    [Fact]
    public void Too_long_text_is_refused_but_the_member_stays()
    {
        Send("A", "#REG");
        Send("B", "#REG");

        Assert.Equal(["A: ! line too long"], Send("A", "12345678901\n"));
        Assert.Equal(["B: <user1> 1234567890"], Send("A", "1234567890\r\n"));
        Assert.Equal(2, _registry.Count);
        Assert.Equal(1, _registry.LinesTooLong.Count);
    }

    [Fact]
    public void Idle_registrations_expire_and_the_others_hear_it()
    {
        TimeSpan idle = TimeSpan.FromSeconds(60);
        Send("A", "#REG alice", T0);
        Send("B", "#REG bob", T0);
        Send("C", "#REG carol", T0 + TimeSpan.FromSeconds(30));

        At(T0 + TimeSpan.FromSeconds(59));
        Assert.Equal(0, _registry.ExpireIdle(idle, _replies));
        Assert.Empty(Drain());

        At(T0 + idle);
        Assert.Equal(2, _registry.ExpireIdle(idle, _replies));
        Assert.Equal(2, _registry.IdleTimeouts.Count);
        Assert.Equal(["C: * alice left", "C: * bob left"], Drain().Order());
        Assert.Equal(1, _registry.Count);
        Assert.Equal(["A: ! not registered: send #REG [name]"], Send("A", "hi", T0 + idle));
    }

    [Fact]
    public void Sending_anything_keeps_a_registration_alive_but_receiving_does_not()
    {
        TimeSpan idle = TimeSpan.FromSeconds(60);
        Send("A", "#REG alice", T0);
        Send("B", "#REG bob", T0);
        Send("A", "still here", T0 + TimeSpan.FromSeconds(50));
        Send("A", "", T0 + TimeSpan.FromSeconds(55));

        At(T0 + TimeSpan.FromSeconds(100));
        _registry.ExpireIdle(idle, _replies);

        Assert.Equal(["A: * bob left"], Drain());
        Assert.True(_registry.TryGetName("A", out _));
        At(T0 + TimeSpan.FromSeconds(115));
        _registry.ExpireIdle(idle, _replies);
        Assert.Empty(Drain());
        Assert.Equal(0, _registry.Count);
    }

    [Fact]
    public void Zero_idle_timeout_means_never_expire()
    {
        Send("A", "#REG");

        Assert.Equal(0, _registry.ExpireIdle(TimeSpan.Zero, _replies));
        Assert.Equal(1, _registry.Count);
    }

    [Fact]
    public void Shutdown_tells_everyone_and_forgets_them()
    {
        Send("A", "#REG");
        Send("B", "#REG");

        _registry.BroadcastShutdown(_replies);

        Assert.Equal(["A: * server shutting down", "B: * server shutting down"], Drain().Order());
        Assert.Equal(0, _registry.Count);
        Assert.Empty(Send("A", "#REG"));
    }

    [Fact]
    public void Generated_names_skip_names_already_chosen()
    {
        Send("A", "#REG user1");
        Send("B", "#REG");

        Assert.True(_registry.TryGetName("B", out string? name));
        Assert.Equal("user2", name);
    }

    [Fact]
    public void Not_registered_goes_to_one_address_at_most_once_a_second()
    {
        string[] replies = [.. Enumerable.Range(0, 20).SelectMany(_ => Send("A", "hello"))];
        Assert.Equal(["A: ! not registered: send #REG [name]"], replies);
        Assert.Equal(19, _registry.NotRegisteredHeldBack);

        // Another address has its own allowance.
        Assert.Equal(["B: ! not registered: send #REG [name]"], Send("B", "hello"));

        Assert.Empty(Send("A", "hello", T0 + TimeSpan.FromMilliseconds(999)));
        Assert.Equal(["A: ! not registered: send #REG [name]"], Send("A", "hello", T0 + TimeSpan.FromSeconds(1)));
        Assert.Empty(Send("A", "hello", T0 + TimeSpan.FromSeconds(1.5)));

        // Registering is still answered at once.
        Assert.Equal(["A: * registered user1"], Send("A", "#REG", T0 + TimeSpan.FromSeconds(1.5)));
    }

    [Fact]
    public void Datagrams_over_the_rate_are_dropped_and_counted()
    {
        var registry = Limited(rate: 5);
        Feed(registry, "A", "#REG alice");
        Feed(registry, "B", "#REG bob");
        _time.Advance(TimeSpan.FromSeconds(1));

        // A burst of up to 5, then nothing until tokens come back (one per 200 ms).
        int relayed = Enumerable.Range(0, 8).Sum(i => Feed(registry, "A", $"m{i}").Length);
        Assert.Equal(5, relayed);
        Assert.Equal(3, registry.DatagramsDropped);
        Assert.False(registry.OnDatagram("A", "more"u8, _replies));
        Assert.Empty(_replies);

        // B is not slowed by A.
        Assert.Equal(["A: <bob> hi"], Feed(registry, "B", "hi"));

        _time.Advance(TimeSpan.FromMilliseconds(200));
        Assert.Equal(["B: <alice> again"], Feed(registry, "A", "again"));
        Assert.Empty(Feed(registry, "A", "and again"));

        // A long pause refills the bucket to the burst size, no more.
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(5, Enumerable.Range(0, 8).Sum(i => Feed(registry, "A", $"n{i}").Length));
        Assert.Equal(3 + 1 + 1 + 3, registry.DatagramsDropped);
    }

    [Fact]
    public void The_rate_applies_to_unregistered_addresses_and_follows_them_into_a_registration()
    {
        var registry = Limited(rate: 3);
        Feed(registry, "B", "#REG bob");

        Feed(registry, "A", "x");
        Feed(registry, "A", "x");
        Assert.Equal(["A: * registered user1", "B: * user1 joined"], Feed(registry, "A", "#REG"));
        Assert.Empty(Feed(registry, "A", "dropped: the burst was spent before registering"));
        Assert.Equal(1, registry.DatagramsDropped);
    }

    [Fact]
    public void Rate_zero_is_unlimited()
    {
        var registry = Limited(rate: 0);
        Feed(registry, "A", "#REG");
        Feed(registry, "B", "#REG");

        Assert.Equal(1000, Enumerable.Range(0, 1000).Sum(_ => Feed(registry, "A", "x").Length));
        Assert.Equal(0, registry.DatagramsDropped);
    }

    [Fact]
    public void Spoofed_source_floods_keep_the_stranger_table_bounded()
    {
        var registry = Limited(rate: 100, maxStrangers: 4);

        // Ten new addresses at once: four are tracked and told to register, the rest dropped unanswered.
        string[] replies = [.. Enumerable.Range(0, 10).SelectMany(i => Feed(registry, $"S{i}", "hi"))];
        Assert.Equal(["S0: ! not registered: send #REG [name]", "S1: ! not registered: send #REG [name]", "S2: ! not registered: send #REG [name]", "S3: ! not registered: send #REG [name]"], replies);
        Assert.Equal(4, registry.StrangerCount);
        Assert.Equal(6, registry.DatagramsDropped);

        // A second later the idle entries are as good as new and make room.
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(["T: ! not registered: send #REG [name]"], Feed(registry, "T", "hi"));
        Assert.Equal(1, registry.StrangerCount);

        // Many addresses over time: the table never passes its cap.
        for (int i = 0; i < 1000; i++)
        {
            Feed(registry, $"R{i}", "hi");
            _time.Advance(TimeSpan.FromMilliseconds(10));
            Assert.True(registry.StrangerCount <= 4);
        }
    }

    [Fact]
    public void Members_can_register_and_chat_while_the_stranger_table_is_full()
    {
        var registry = Limited(rate: 100, maxStrangers: 1);
        Feed(registry, "A", "#REG alice");
        Feed(registry, "S1", "hi");

        // Untracked: anything that would only earn an error is dropped unanswered (no reflection)...
        Assert.Empty(Feed(registry, "S2", "hi"));
        Assert.Empty(Feed(registry, "S2", "#REG alice"));
        Assert.Empty(Feed(registry, "S2", "#REG b@d"));
        Assert.Equal(3, registry.DatagramsDropped);

        // ...but a registration that will succeed goes through, with limits of its own.
        Assert.Equal(["B: * registered bob", "A: * bob joined"], Feed(registry, "B", "#REG bob"));
        Assert.Equal(["A: <bob> still relayed"], Feed(registry, "B", "still relayed"));
        Assert.Equal(["B: <alice> and back"], Feed(registry, "A", "and back"));
        Assert.Equal(1, registry.StrangerCount);
    }

    private UdpChatRegistry<string> Limited(int rate, int maxStrangers = 4096) =>
        new(maxRegistrations: 10, pool: _pool, time: _time, maxLineRate: rate) { MaxStrangers = maxStrangers };

    private string[] Feed(UdpChatRegistry<string> registry, string from, string datagram)
    {
        registry.OnDatagram(from, Encoding.UTF8.GetBytes(datagram), _replies);
        return Drain();
    }

    [Fact]
    public void Reused_socket_address_keys_are_cloned_before_being_kept()
    {
        var registry = new UdpChatRegistry<SocketAddress>(10, cloneKey: CloneAddress, pool: _pool);
        var replies = new List<UdpChatReply<SocketAddress>>();
        var receiveBuffer = new SocketAddress(AddressFamily.InterNetwork);
        SocketAddress alice = new IPEndPoint(IPAddress.Loopback, 5001).Serialize();
        SocketAddress bob = new IPEndPoint(IPAddress.Loopback, 5002).Serialize();

        Receive(alice, "#REG alice");
        Receive(bob, "#REG bob");
        Receive(alice, "hello");

        Assert.Equal(4, replies.Count);
        Assert.Equal(bob, replies[^1].Destination);
        Assert.NotSame(receiveBuffer, replies[^1].Destination);
        Assert.Equal("<alice> hello\n", Encoding.UTF8.GetString(replies[^1].Message.Span));
        foreach (UdpChatReply<SocketAddress> reply in replies)
        {
            reply.Message.Release();
        }

        Assert.Equal(0, _pool.Outstanding);

        void Receive(SocketAddress from, string datagram)
        {
            // What ReceiveFromAsync does: overwrite the one SocketAddress it was given.
            from.Buffer.Span.CopyTo(receiveBuffer.Buffer.Span);
            receiveBuffer.Size = from.Size;
            registry.OnDatagram(receiveBuffer, Encoding.UTF8.GetBytes(datagram), replies);
        }

        static SocketAddress CloneAddress(SocketAddress address)
        {
            var copy = new SocketAddress(address.Family, address.Size);
            address.Buffer.Span.CopyTo(copy.Buffer.Span);
            return copy;
        }
    }
}
