using System.Net;
using System.Net.Sockets;
using System.Text;
using PipeChat.Protocols.Chat;

namespace PipeChat.Tests.Chat;

public class UdpChatRegistryTests
{
    private static readonly TimeSpan T0 = TimeSpan.FromSeconds(100);
    private readonly ChatMessagePool _pool = new();
    private readonly List<UdpChatReply<string>> _replies = [];
    private readonly UdpChatRegistry<string> _registry;

    public UdpChatRegistryTests() => _registry = new UdpChatRegistry<string>(maxRegistrations: 3, pool: _pool, maxMessage: 10);

    /// <summary>Feeds one datagram and returns the replies as "destination: line", releasing them like a transport.</summary>
    private string[] Send(string from, string datagram, TimeSpan? now = null) =>
        Send(from, Encoding.UTF8.GetBytes(datagram), now);

    private string[] Send(string from, byte[] datagram, TimeSpan? now = null)
    {
        _registry.OnDatagram(from, datagram, now ?? T0, _replies);
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

        _registry.OnDatagram("A", "hey"u8, T0, _replies);

        Assert.Equal(2, _replies.Count);
        Assert.Same(_replies[0].Message, _replies[1].Message);
        Assert.Equal(2, _replies[0].Message.RefCount);
        Drain();
    }

    [Fact]
    public void Relay_keeps_bytes_as_they_are()
    {
        Send("A", "#REG");
        Send("B", "#REG");

        _registry.OnDatagram("A", [0xFF, (byte)'\r', 0x00, (byte)'\n'], T0, _replies);

        Assert.Equal([.. "<user1> "u8.ToArray(), 0xFF, (byte)'\r', 0x00, (byte)'\n'], _replies[0].Message.Span.ToArray());
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
    }

    [Fact]
    public void Idle_registrations_expire_and_the_others_hear_it()
    {
        TimeSpan idle = TimeSpan.FromSeconds(60);
        Send("A", "#REG alice", T0);
        Send("B", "#REG bob", T0);
        Send("C", "#REG carol", T0 + TimeSpan.FromSeconds(30));

        Assert.Equal(0, _registry.ExpireIdle(T0 + TimeSpan.FromSeconds(59), idle, _replies));
        Assert.Empty(Drain());

        Assert.Equal(2, _registry.ExpireIdle(T0 + idle, idle, _replies));
        Assert.Equal(["C: * alice left", "C: * bob left"], Drain().Order());
        Assert.Equal(1, _registry.Count);
        Assert.Equal(["A: ! not registered: send #REG [name]"], Send("A", "hi"));
    }

    [Fact]
    public void Sending_anything_keeps_a_registration_alive_but_receiving_does_not()
    {
        TimeSpan idle = TimeSpan.FromSeconds(60);
        Send("A", "#REG alice", T0);
        Send("B", "#REG bob", T0);
        Send("A", "still here", T0 + TimeSpan.FromSeconds(50));
        Send("A", "", T0 + TimeSpan.FromSeconds(55));

        _registry.ExpireIdle(T0 + TimeSpan.FromSeconds(100), idle, _replies);

        Assert.Equal(["A: * bob left"], Drain());
        Assert.True(_registry.TryGetName("A", out _));
        _registry.ExpireIdle(T0 + TimeSpan.FromSeconds(115), idle, _replies);
        Assert.Empty(Drain());
        Assert.Equal(0, _registry.Count);
    }

    [Fact]
    public void Zero_idle_timeout_means_never_expire()
    {
        Send("A", "#REG");

        Assert.Equal(0, _registry.ExpireIdle(TimeSpan.MaxValue, TimeSpan.Zero, _replies));
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
            registry.OnDatagram(receiveBuffer, Encoding.UTF8.GetBytes(datagram), T0, replies);
        }

        static SocketAddress CloneAddress(SocketAddress address)
        {
            var copy = new SocketAddress(address.Family, address.Size);
            address.Buffer.Span.CopyTo(copy.Buffer.Span);
            return copy;
        }
    }
}
