using System.Diagnostics;
using PipeChat.Tests.Support;
using static PipeChat.Tests.Chat.Integration.TcpChatFixture;

namespace PipeChat.Tests.Chat.Integration;

/// <summary>docs/protocols.md: a line not ended --line-timeout after its first byte closes the connection.</summary>
public class TcpChatLineTimeoutTests
{
    private static readonly TimeSpan LineTimeout = TimeSpan.FromSeconds(1);

    [Theory]
    [MemberData(nameof(TestServers.TcpConcurrentModels), MemberType = typeof(TestServers))]
    public async Task An_unfinished_line_gets_line_timeout_then_the_connection_closes(TcpModel model)
    {
        await using var chat = Start(model, lineTimeout: LineTimeout);
        var other = await chat.JoinAsync();
        var member = await chat.JoinAsync();
        await other.ExpectAsync($"* {member.Name} joined");

        // Whole lines are fine however slow; only the unfinished one counts.
        await member.SendLineAsync("hello");
        await other.ExpectAsync($"<{member.Name}> hello");
        await member.SendAsync("never ended");

        Assert.Equal("! line timeout", await member.ReadLineAsync(TimeSpan.FromSeconds(10)));
        await member.ExpectClosedAsync();
        await other.ExpectAsync($"* {member.Name} left");
        Assert.Equal(1, chat.Protocol.LineTimeouts.Count);
    }

    [Theory]
    [MemberData(nameof(TestServers.TcpConcurrentModels), MemberType = typeof(TestServers))]
    public async Task A_trickle_of_bytes_does_not_keep_an_unfinished_line_alive(TcpModel model)
    {
        await using var chat = Start(model, lineTimeout: LineTimeout, idleTimeout: TimeSpan.FromSeconds(30));
        var member = await chat.JoinAsync();
        var clock = Stopwatch.StartNew();
        string? heard = null;

        // One byte every 300 ms, for at most 5 s: the timeout (1 s, checked every 250 ms) must come first.
        while (heard is null && clock.Elapsed < TimeSpan.FromSeconds(5))
        {
            try
            {
                await member.SendAsync("x");
            }
            catch (System.Net.Sockets.SocketException)
            {
                break; // Closed already: the notice is waiting to be read.
            }

            heard = await member.TryReadLineAsync(TimeSpan.FromMilliseconds(300));
        }

        heard ??= await member.TryReadLineAsync(TimeSpan.FromSeconds(1));
        Assert.Equal("! line timeout", heard);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4), $"timed out only after {clock.Elapsed.TotalSeconds:0.0} s");
        await member.ExpectClosedAsync();
    }
}
