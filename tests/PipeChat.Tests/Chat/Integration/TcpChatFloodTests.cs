using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using PipeChat.Hosting;
using PipeChat.Tests.Support;
using static PipeChat.Tests.Chat.Integration.TcpChatFixture;

namespace PipeChat.Tests.Chat.Integration;

/// <summary>docs/protocols.md flooding: past --max-line-rate a member is not read (backpressure); nobody is dropped or cut.</summary>
public class TcpChatFloodTests
{
    private static readonly int DefaultRate = new PipeChatOptions().MaxLineRate;
    private static readonly TimeSpan FloodTime = TimeSpan.FromSeconds(2);

    [Theory]
    [MemberData(nameof(TestServers.TcpConcurrentModels), MemberType = typeof(TestServers))]
    public async Task A_flooder_never_gets_a_prompt_reader_cut_and_is_not_cut_itself(TcpModel model)
    {
        await using var chat = Start(model, maxLineRate: DefaultRate);
        var readers = await chat.JoinAllAsync(20);
        var flooder = await chat.JoinAsync();
        await Task.WhenAll(readers.Select(r => r.ExpectAsync($"* {flooder.Name} joined")));

        var clock = Stopwatch.StartNew();
        var flood = FloodAsync(flooder.Client.Socket, i => $"flood {i}", FloodTime);

        // While the flood goes on, another member's line still gets through at once.
        await readers[0].SendLineAsync("still here");
        await readers[1].SkipUntilAsync($"<{readers[0].Name}> still here");
        var flooded = await flood;
        var relayed = chat.Protocol.Hub.LinesRelayed;
        var elapsed = clock.Elapsed.TotalSeconds;

        Assert.Equal(0, chat.Protocol.Hub.MembersCutOff);
        Assert.Equal(21, chat.Protocol.Hub.MemberCount);
        Assert.True(flooded.WouldBlock > 0, "the flooder's socket never filled: the server read everything");
        Assert.True(relayed <= (DefaultRate * elapsed * 1.5) + DefaultRate + 1, $"{relayed} lines relayed in {elapsed:0.0} s at {DefaultRate}/s (sent {flooded.Lines})");
        Assert.True(chat.Protocol.LinesThrottled.Count > 0);
    }

    [Theory]
    [MemberData(nameof(TestServers.TcpConcurrentModels), MemberType = typeof(TestServers))]
    public async Task Nick_spam_is_held_to_the_rate_and_gets_no_reader_cut(TcpModel model)
    {
        await using var chat = Start(model, maxLineRate: DefaultRate);
        var readers = await chat.JoinAllAsync(20);
        var flooder = await chat.JoinAsync();
        await Task.WhenAll(readers.Select(r => r.ExpectAsync($"* {flooder.Name} joined")));

        // The spammer reads its replies (so only the rate can protect the others); reader 1 counts the renames
        // it hears while the spam goes on.
        var spammerReads = flooder.SkipUntilAsync("never");
        var clock = Stopwatch.StartNew();
        var counting = CountAsync(readers[1], line => line.Contains(" is now ", StringComparison.Ordinal), FloodTime);
        await FloodAsync(flooder.Client.Socket, i => i % 2 == 0 ? "/nick spamA" : "/nick spamB", FloodTime);
        var elapsed = clock.Elapsed.TotalSeconds;
        var renames = await counting;

        Assert.Equal(0, chat.Protocol.Hub.MembersCutOff);
        Assert.Equal(21, chat.Protocol.Hub.MemberCount);
        Assert.True(renames > 0, "no rename was relayed at all");
        Assert.True(renames <= (DefaultRate * elapsed * 1.5) + DefaultRate, $"{renames} renames in {elapsed:0.0} s at {DefaultRate}/s");
        flooder.Reset();
        await Assert.ThrowsAnyAsync<Exception>(() => spammerReads);
    }

    /// <summary>Counts the lines matching <paramref name="match"/> that arrive at <paramref name="member"/> within <paramref name="window"/>.</summary>
    private static async Task<int> CountAsync(ChatTestClient member, Func<string, bool> match, TimeSpan window)
    {
        var clock = Stopwatch.StartNew();
        var count = 0;
        while (clock.Elapsed < window)
        {
            if (await member.TryReadLineAsync(TimeSpan.FromMilliseconds(100)) is { } line && match(line))
            {
                count++;
            }
        }

        return count;
    }

    [Theory]
    [MemberData(nameof(TestServers.TcpConcurrentModels), MemberType = typeof(TestServers))]
    public async Task A_held_back_flooder_loses_nothing_every_line_arrives_in_order(TcpModel model)
    {
        const int Rate = 10_000;
        await using var chat = Start(model, maxLineRate: Rate);
        var reader = await chat.JoinAsync();
        var flooder = await chat.JoinAsync();
        await reader.ExpectAsync($"* {flooder.Name} joined");

        // A small send buffer, and the flood stops once the socket has stayed full for a while.
        flooder.Client.Socket.SendBufferSize = 16 * 1024;
        var clock = Stopwatch.StartNew();
        var flooded = await FloodAsync(flooder.Client.Socket, i => $"f{i}", TimeSpan.FromSeconds(5), stopWhenFull: true);
        var relayed = chat.Protocol.Hub.LinesRelayed;
        var elapsed = clock.Elapsed.TotalSeconds;

        // Backpressure: the socket filled while the server had relayed only what the rate allows.
        Assert.True(flooded.WouldBlock > 0, "the flooder's socket never filled");
        Assert.True(relayed <= (Rate * elapsed * 1.5) + Rate, $"{relayed} lines relayed in {elapsed:0.0} s at {Rate}/s (sent {flooded.Lines})");

        // Nothing dropped: every complete line sent arrives, in order, once the server catches up.
        for (var i = 0; i < flooded.Lines; i++)
        {
            Assert.Equal($"<{flooder.Name}> f{i}", await reader.ReadLineAsync());
        }

        Assert.Equal(0, chat.Protocol.Hub.MembersCutOff);
        Assert.Equal(2, chat.Protocol.Hub.MemberCount);
    }

    /// <summary>
    /// Sends lines as fast as a non-blocking socket takes them for <paramref name="duration"/>. Returns the
    /// lines sent whole and how often the socket would have blocked (its send buffer was full). With
    /// <paramref name="stopWhenFull"/> it stops sooner, once the socket has stayed full for about 50 ms.
    /// </summary>
    internal static async Task<FloodResult> FloodAsync(Socket socket, Func<int, string> line, TimeSpan duration, bool stopWhenFull = false)
    {
        var blockedInARow = 0;
        socket.Blocking = false;
        var clock = Stopwatch.StartNew();
        var next = 0;
        var lines = 0;
        long wouldBlock = 0;
        byte[] batch = [];
        var offset = 0;
        while (clock.Elapsed < duration)
        {
            if (offset == batch.Length)
            {
                var text = new StringBuilder();
                for (var i = 0; i < 200; i++)
                {
                    text.Append(line(next++)).Append('\n');
                }

                batch = Encoding.UTF8.GetBytes(text.ToString());
                offset = 0;
            }

            var sent = socket.Send(batch, offset, batch.Length - offset, SocketFlags.None, out var error);
            if (error == SocketError.WouldBlock)
            {
                wouldBlock++;
                if (stopWhenFull && ++blockedInARow >= 50)
                {
                    break;
                }

                await Task.Delay(1);
                continue;
            }

            Assert.Equal(SocketError.Success, error);
            blockedInARow = 0;
            lines += batch.AsSpan(offset, sent).Count((byte)'\n');
            offset += sent;
        }

        return new FloodResult(lines, wouldBlock);
    }

    internal readonly record struct FloodResult(int Lines, long WouldBlock);
}
