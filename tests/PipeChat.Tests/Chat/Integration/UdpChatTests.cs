using System.Diagnostics;
using PipeChat.Models;
using PipeChat.Protocols.Chat;
using PipeChat.Tests.Support;

namespace PipeChat.Tests.Chat.Integration;

/// <summary>SPEC §7 over real loopback datagrams, for both concurrent models.</summary>
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
        await stranger.SendAsync("#DEREG");
        await stranger.ExpectAsync(NotRegistered);

        await member.SendAsync("#REG");
        await member.ExpectAsync($"* registered {name}"); // nothing from the stranger came first
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

    private static IServer Start(ConnectionModel model, int maxRegistrations = 100, TimeSpan idleTimeout = default) =>
        TestServers.StartUdp(model, new UdpChatProtocol(maxRegistrations, 4096, idleTimeout));
}
