using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using PipeChat.Servers;
using PipeChat.Protocols.Chat;
using PipeChat.Tests.Support;

namespace PipeChat.Tests.Chat.Integration;

/// <summary>docs/protocols.md over real loopback datagrams, for both concurrent models.</summary>
public class UdpChatTests
{
    private const string NotRegistered = "! not registered: send #REG [name]";

    [Theory]
    [MemberData(nameof(TestServers.ConcurrentModels), MemberType = typeof(TestServers))]
    public async Task Registered_members_hear_joins_and_each_others_text_but_not_their_own(ConnectionModel model)
    {
        await using var server = Start(model);
        using var a = new UdpChatTestClient(server.LocalEndPoint);
        using var b = new UdpChatTestClient(server.LocalEndPoint);
        using var c = new UdpChatTestClient(server.LocalEndPoint);

        var nameA = await a.RegisterAsync();
        Assert.Matches(@"^user\d+$", nameA);
        await b.RegisterAsync("bob");
        await a.ExpectAsync("* bob joined");
        var nameC = await c.RegisterAsync();
        Assert.NotEqual(nameA, nameC);
        await a.ExpectAsync($"* {nameC} joined");
        await b.ExpectAsync($"* {nameC} joined");

        await a.SendAsync("hello there");
        await b.ExpectAsync($"<{nameA}> hello there");
        await c.ExpectAsync($"<{nameA}> hello there");

        // #REG again without a name confirms; had A got its own text, it would come first.
        await a.SendAsync("#REG");
        await a.ExpectAsync($"* registered {nameA}");

        // Rename by registering again; the others hear it, and later text carries the new name.
        await b.SendAsync("#REG robert");
        await b.ExpectAsync("* registered robert");
        await a.ExpectAsync("* bob is now robert");
        await c.ExpectAsync("* bob is now robert");
        await b.SendAsync($"#REG {nameA.ToUpperInvariant()}");
        await b.ExpectAsync($"! name {nameA.ToUpperInvariant()} is taken");
        await b.SendAsync("#REG bad name!");
        await b.ExpectAsync("! invalid name");

        await b.SendAsync("hi from robert");
        await a.ExpectAsync("<robert> hi from robert");
        await c.ExpectAsync("<robert> hi from robert");
    }

    [Theory]
    [MemberData(nameof(TestServers.ConcurrentModels), MemberType = typeof(TestServers))]
    public async Task An_unregistered_sender_is_told_to_register_and_reaches_nobody(ConnectionModel model)
    {
        await using var server = Start(model);
        using var member = new UdpChatTestClient(server.LocalEndPoint);
        using var stranger = new UdpChatTestClient(server.LocalEndPoint);
        var name = await member.RegisterAsync();

        await stranger.SendAsync("hello?");
        await stranger.ExpectAsync(NotRegistered);

        await member.SendAsync("#REG");
        await member.ExpectAsync($"* registered {name}"); // nothing from the stranger came first
    }

    [Theory]
    [MemberData(nameof(TestServers.ConcurrentModels), MemberType = typeof(TestServers))]
    public async Task A_burst_from_an_unregistered_address_gets_one_not_registered_reply(ConnectionModel model)
    {
        // The server's clock stands still, so however slowly the burst arrives it is all "within a second".
        await using var server = Start(model, time: new FakeTimeProvider());
        using var stranger = new UdpChatTestClient(server.LocalEndPoint);

        for (int i = 0; i < 20; i++)
        {
            await stranger.SendAsync($"hello {i}");
        }

        // Datagrams from one address are handled in order: everything before the registration reply is what
        // the burst got.
        await stranger.SendAsync("#REG latecomer");
        await stranger.ExpectAsync(NotRegistered);
        await stranger.ExpectAsync("* registered latecomer");
    }

    [Theory]
    [MemberData(nameof(TestServers.ConcurrentModels), MemberType = typeof(TestServers))]
    public async Task Datagrams_over_the_rate_are_dropped_and_counted(ConnectionModel model)
    {
        var time = new FakeTimeProvider();
        var chat = new UdpChatProtocol(100, 4096, default, maxLineRate: 5, time: time);
        await using var server = TestServers.StartUdp(model, chat);
        using var a = new UdpChatTestClient(server.LocalEndPoint);
        using var b = new UdpChatTestClient(server.LocalEndPoint);
        await a.RegisterAsync("alice");
        await b.RegisterAsync("bob");
        await a.ExpectAsync("* bob joined");
        time.Advance(TimeSpan.FromSeconds(1));

        for (int i = 0; i < 10; i++)
        {
            await a.SendAsync($"m{i}");
        }

        await Wait.UntilAsync(() => chat.DatagramsDropped == 5, "five datagrams dropped");
        time.Advance(TimeSpan.FromSeconds(1));
        await a.SendAsync("after the pause");

        foreach (var expected in new[] { "m0", "m1", "m2", "m3", "m4", "after the pause" })
        {
            await b.ExpectAsync($"<alice> {expected}");
        }

        Assert.Equal(5, chat.DatagramsDropped);
    }

    [Theory]
    [MemberData(nameof(TestServers.ConcurrentModels), MemberType = typeof(TestServers))]
    public async Task Control_characters_and_invalid_UTF8_reach_the_others_as_U_FFFD(ConnectionModel model)
    {
        await using var server = Start(model);
        using var a = new UdpChatTestClient(server.LocalEndPoint);
        using var b = new UdpChatTestClient(server.LocalEndPoint);
        await a.RegisterAsync("alice");
        await b.RegisterAsync("bob");
        await a.ExpectAsync("* bob joined");

        byte[] datagram =
        [
            .. "hi\rfake <admin> x\u001b[2J"u8, 0x00, 0x7F, 0xC2, 0x9B, (byte)'\t', .. "\U0001F600"u8,
            0xFF, 0xFE, (byte)'A', 0xC3, 0x28, 0xED, 0xA0, 0x80, (byte)'z', (byte)'\n',
        ];
        await a.SendAsync(datagram);

        string expected = "<alice> hi\uFFFDfake <admin> x\uFFFD[2J\uFFFD\uFFFD\uFFFD\t\U0001F600\uFFFD\uFFFDA\uFFFD(\uFFFD\uFFFD\uFFFDz";
        Assert.Equal(Encoding.UTF8.GetBytes(expected), await b.ReceiveBytesAsync());
    }

    [Theory]
    [MemberData(nameof(TestServers.ConcurrentModels), MemberType = typeof(TestServers))]
    public async Task Dereg_confirms_tells_the_others_and_ends_the_registration(ConnectionModel model)
    {
        await using var server = Start(model);
        using var a = new UdpChatTestClient(server.LocalEndPoint);
        using var b = new UdpChatTestClient(server.LocalEndPoint);
        var nameA = await a.RegisterAsync();
        var nameB = await b.RegisterAsync();
        await a.ExpectAsync($"* {nameB} joined");

        await b.SendAsync("#DEREG");
        await b.ExpectAsync("* deregistered");
        await a.ExpectAsync($"* {nameB} left");

        await b.SendAsync("still there?");
        await b.ExpectAsync(NotRegistered);
        await a.SendAsync("anyone?");
        await a.SendAsync("#REG");
        await a.ExpectAsync($"* registered {nameA}");

        // b got nothing while unregistered: its next datagram is its own new registration.
        var again = await b.RegisterAsync();
        await a.ExpectAsync($"* {again} joined");
    }

    [Theory]
    [MemberData(nameof(TestServers.ConcurrentModels), MemberType = typeof(TestServers))]
    public async Task A_silent_registration_expires_and_an_active_one_is_kept(ConnectionModel model)
    {
        var idle = TimeSpan.FromSeconds(2);
        await using var server = Start(model, idleTimeout: idle);
        using var silent = new UdpChatTestClient(server.LocalEndPoint);
        using var active = new UdpChatTestClient(server.LocalEndPoint);
        var clock = Stopwatch.StartNew();
        var silentName = await silent.RegisterAsync();
        var activeName = await active.RegisterAsync();
        await silent.ExpectAsync($"* {activeName} joined");

        // The active member keeps sending #REG (about every 100 ms) until it hears the other left.
        var left = $"* {silentName} left";
        var confirm = $"* registered {activeName}";
        while (true)
        {
            Assert.True(clock.Elapsed < Wait.Default, "the silent registration never expired");
            await active.SendAsync("#REG");
            var heard = false;
            string datagram;
            while ((datagram = await active.ReceiveAsync()) != confirm)
            {
                Assert.Equal(left, datagram);
                heard = true;
            }

            if (heard)
            {
                break;
            }

            if (await active.TryReceiveAsync(TimeSpan.FromMilliseconds(100)) is { } next)
            {
                Assert.Equal(left, next);
                break;
            }
        }

        Assert.True(clock.Elapsed >= idle, $"expired after {clock.Elapsed}, before the idle timeout {idle}");

        // The silent one is no longer registered; the active one still is.
        await silent.SendAsync("hello?");
        await silent.ExpectAsync(NotRegistered);
        await active.SendAsync("#REG");
        await active.ExpectAsync(confirm);
    }

    [Theory]
    [MemberData(nameof(TestServers.ConcurrentModels), MemberType = typeof(TestServers))]
    public async Task Registrations_beyond_the_maximum_get_server_full(ConnectionModel model)
    {
        await using var server = Start(model, maxRegistrations: 2);
        using var a = new UdpChatTestClient(server.LocalEndPoint);
        using var b = new UdpChatTestClient(server.LocalEndPoint);
        using var c = new UdpChatTestClient(server.LocalEndPoint);
        var nameA = await a.RegisterAsync();
        var nameB = await b.RegisterAsync();
        await a.ExpectAsync($"* {nameB} joined");

        await c.SendAsync("#REG carol");
        await c.ExpectAsync("! server full");
        await c.SendAsync("hi");
        await c.ExpectAsync(NotRegistered);

        // Renaming is not a new registration: allowed while full.
        await b.SendAsync("#REG bobby");
        await b.ExpectAsync("* registered bobby");
        await a.ExpectAsync($"* {nameB} is now bobby");

        await a.SendAsync("#DEREG");
        await a.ExpectAsync("* deregistered");
        await b.ExpectAsync($"* {nameA} left");
        await c.RegisterAsync("carol");
        await b.ExpectAsync("* carol joined");
    }

    [Theory]
    [MemberData(nameof(TestServers.ConcurrentModels), MemberType = typeof(TestServers))]
    public async Task A_trailing_newline_is_ignored(ConnectionModel model)
    {
        await using var server = Start(model);
        using var a = new UdpChatTestClient(server.LocalEndPoint);
        using var b = new UdpChatTestClient(server.LocalEndPoint);
        var nameB = await b.RegisterAsync();

        await a.SendAsync("#REG carol\n");
        await a.ExpectAsync("* registered carol");
        await b.ExpectAsync("* carol joined");

        await a.SendAsync("text\n");
        await b.ExpectAsync("<carol> text");
        await b.SendAsync("reply\r\n");
        await a.ExpectAsync($"<{nameB}> reply");

        await a.SendAsync("#DEREG\n");
        await a.ExpectAsync("* deregistered");
        await b.ExpectAsync("* carol left");
    }

    private static IServer Start(ConnectionModel model, int maxRegistrations = 100, TimeSpan idleTimeout = default, TimeProvider? time = null) =>
        TestServers.StartUdp(model, new UdpChatProtocol(maxRegistrations, 4096, idleTimeout, maxLineRate: 100, time: time));
}
