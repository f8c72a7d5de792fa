using System.Diagnostics;
using System.Net.Sockets;
using PipeChat.Servers;
using PipeChat.Tests.Support;
using static PipeChat.Tests.Chat.Integration.TcpChatFixture;

namespace PipeChat.Tests.Chat.Integration;

/// <summary>How TCP chat members end (docs/options.md shutdown, §6): server stop, idle, reset, connection limit.</summary>
public class TcpChatLifecycleTests
{
    [Theory]
    [MemberData(nameof(TestServers.TcpConcurrentModels), MemberType = typeof(TestServers))]
    public async Task Graceful_stop_tells_every_member_after_what_was_queued_then_closes(TcpModel model)
    {
        await using var chat = Start(model);
        var members = await chat.JoinAllAsync(3);
        var (a, b, c) = (members[0], members[1], members[2]);
        await c.SendLineAsync("/join dev");
        await c.ExpectAsync("* joined dev");
        await a.ExpectAsync($"* {c.Name} left");
        await b.ExpectAsync($"* {c.Name} left");

        await a.SendLineAsync("before stop");
        await b.ExpectAsync($"<{a.Name}> before stop");

        var stopping = chat.Server.StopAsync(TimeSpan.FromSeconds(10));
        foreach (var member in members)
        {
            await member.ExpectAsync("* server shutting down");
            await member.ExpectClosedAsync();
            member.Client.Socket.Shutdown(SocketShutdown.Send); // our FIN: the server need not linger
        }

        await stopping.WithTimeout("StopAsync");
        Assert.Equal(0, chat.Server.Stats.Active);
        Assert.Equal(0, chat.Protocol.Hub.MemberCount);
    }

    [Theory]
    [MemberData(nameof(TestServers.TcpConcurrentModels), MemberType = typeof(TestServers))]
    public async Task An_idle_member_is_dropped_and_an_active_one_is_kept(TcpModel model)
    {
        var idle = TimeSpan.FromSeconds(2);
        await using var chat = Start(model, idleTimeout: idle);
        var clock = Stopwatch.StartNew();
        var members = await chat.JoinAllAsync(2);
        var (silent, active) = (members[0], members[1]);

        var dropped = Task.Run(async () =>
        {
            await silent.ExpectAsync("! idle timeout");
            var at = clock.Elapsed;
            await silent.ExpectClosedAsync();
            return at;
        });

        // The active member keeps talking (a /who about every 100 ms) until it hears the other left.
        var left = $"* {silent.Name} left";
        while (true)
        {
            Assert.True(clock.Elapsed < Wait.Default, "the silent member was never dropped");
            await active.SendLineAsync("/who");
            var heard = false;
            string line;
            while (!(line = await active.ReadLineAsync()).StartsWith("* in lobby: ", StringComparison.Ordinal))
            {
                Assert.Equal(left, line);
                heard = true;
            }

            if (heard)
            {
                break;
            }

            if (await active.TryReadLineAsync(TimeSpan.FromMilliseconds(100)) is { } next)
            {
                Assert.Equal(left, next);
                break;
            }
        }

        var droppedAt = await dropped.WithTimeout("idle member dropped");
        Assert.True(droppedAt >= idle, $"dropped after {droppedAt}, before the idle timeout {idle}");

        // Sending kept the active member (it has been connected longer than the timeout by now).
        Assert.True(clock.Elapsed > idle);
        await active.SendLineAsync("/who");
        await active.ExpectAsync($"* in lobby: {active.Name}");
    }

    [Theory]
    [MemberData(nameof(TestServers.TcpConcurrentModels), MemberType = typeof(TestServers))]
    public async Task A_reset_or_a_plain_close_makes_the_room_hear_left(TcpModel model)
    {
        await using var chat = Start(model);
        var members = await chat.JoinAllAsync(3);
        var (a, b, c) = (members[0], members[1], members[2]);

        a.Reset();
        await b.ExpectAsync($"* {a.Name} left");
        await c.ExpectAsync($"* {a.Name} left");

        // An unfinished last line is not a line: it is dropped, not relayed.
        await b.SendAsync("unfinished");
        b.Client.Socket.Shutdown(SocketShutdown.Send);
        await b.ExpectClosedAsync();
        await c.ExpectAsync($"* {b.Name} left");

        await c.SendLineAsync("/who");
        await c.ExpectAsync($"* in lobby: {c.Name}");
        await Wait.UntilAsync(() => chat.Server.Stats.Active == 1, "two connections closed");
    }

    [Theory]
    [MemberData(nameof(TestServers.TcpConcurrentModels), MemberType = typeof(TestServers))]
    public async Task Connections_beyond_max_connections_are_refused(TcpModel model)
    {
        await using var chat = Start(model, maxConnections: 2);
        var members = await chat.JoinAllAsync(2);
        var (a, b) = (members[0], members[1]);

        var extra = await chat.ConnectAsync();
        await extra.ExpectAsync("! server full"); // and no welcome
        await extra.ExpectClosedAsync();
        await Wait.UntilAsync(() => chat.Server.Stats.RejectedMaxConnections == 1, "one rejection counted");
        await a.SendLineAsync("/who");
        await a.ExpectAsync($"* in lobby: {Sorted(a.Name, b.Name)}");

        // A slot frees up when a member leaves.
        await a.SendLineAsync("/quit");
        await a.ExpectAsync("* bye");
        await a.ExpectClosedAsync();
        a.Client.Socket.Shutdown(SocketShutdown.Send);
        await b.ExpectAsync($"* {a.Name} left");
        await Wait.UntilAsync(() => chat.Server.Stats.Active == 1, "the slot is free");

        var d = await chat.JoinAsync();
        await b.ExpectAsync($"* {d.Name} joined");
        Assert.Equal(1, chat.Server.Stats.Rejected);
    }
}
