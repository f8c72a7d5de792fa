using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using PipeChat.Servers;
using PipeChat.Tests.Support;
using static PipeChat.Tests.Chat.Integration.TcpChatFixture;

namespace PipeChat.Tests.Chat.Integration;

/// <summary>docs/protocols.md ordering, fan-out and slow-member rules under load, over real sockets.</summary>
public partial class TcpChatLoadTests
{
    private static readonly TimeSpan LoadTimeout = TimeSpan.FromSeconds(60);

    [Theory]
    [MemberData(nameof(TestServers.TcpConcurrentModels), MemberType = typeof(TestServers))]
    public async Task Two_senders_1000_lines_each_arrive_in_order_at_every_member(TcpModel model)
    {
        const int perSender = 1000;
        await using var chat = Start(model);
        var members = await chat.JoinAllAsync(7);
        var senders = members[5..];
        var senderNames = senders.Select(s => s.Name).ToArray();

        async Task SendAll(ChatTestClient sender)
        {
            // Chunks of 50 lines, so the two senders interleave at the server.
            for (var first = 0; first < perSender; first += 50)
            {
                var chunk = new StringBuilder();
                for (var i = first; i < first + 50; i++)
                {
                    chunk.Append(CultureInfo.InvariantCulture, $"m {i} from {sender.Name}\n");
                }

                await sender.SendAsync(chunk.ToString());
            }
        }

        async Task ReceiveAll(ChatTestClient member, string[] from)
        {
            var next = from.ToDictionary(name => name, _ => 0);
            for (var received = 0; received < from.Length * perSender; received++)
            {
                var line = await member.ReadLineAsync();
                var match = MessageRegex().Match(line);
                Assert.True(match.Success, $"{member.Name}: unexpected line '{line}'");
                var name = match.Groups[1].Value;
                Assert.True(next.ContainsKey(name), $"{member.Name}: line from '{name}' not expected: '{line}'");
                Assert.Equal(name, match.Groups[3].Value);
                Assert.True(next[name] == int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture), $"{member.Name}: expected m {next[name]} from {name}, got '{line}'");
                next[name]++;
            }
        }

        var receiving = members.Select(m => ReceiveAll(m, senderNames.Where(n => n != m.Name).ToArray())).ToArray();
        await Task.WhenAll(senders.Select(SendAll)).WithTimeout("senders", LoadTimeout);
        await Task.WhenAll(receiving).WithTimeout("receivers", LoadTimeout);

        // Nothing else was queued for anyone: the next line is the /who reply.
        foreach (var member in members)
        {
            await member.SendLineAsync("/who");
            await member.ExpectAsync($"* in lobby: {Sorted(members.Select(m => m.Name).ToArray())}");
        }
    }

    [Theory]
    [MemberData(nameof(TestServers.TcpConcurrentModels), MemberType = typeof(TestServers))]
    public async Task A_member_that_never_reads_is_cut_off_and_never_slows_the_others(TcpModel model)
    {
        const int lines = 21_000; // 1000-byte lines: about 20 MiB through the room
        const int lineLength = 1000;
        await using var chat = Start(model, maxPendingOutput: 1024 * 1024);
        var members = await chat.JoinAllAsync(3);
        var (r1, r2, sender) = (members[0], members[1], members[2]);

        // The stalled member: small socket buffers, never reads a byte. Its name comes from the others.
        var stalled = await chat.ConnectAsync(bufferSize: 16 * 1024);
        var joined = await r1.ReadLineAsync();
        var stalledName = JoinedRegex().Match(joined) is { Success: true } m ? m.Groups[1].Value : throw new Xunit.Sdk.XunitException($"expected a join, got '{joined}'");
        await r2.ExpectAsync($"* {stalledName} joined");
        await sender.ExpectAsync($"* {stalledName} joined");

        // The readers must keep up (docs/protocols.md cuts any member more than MaxPendingOutput behind), so the
        // sender stays at most Window lines (about 0.5 MiB) ahead of the slower reader. The stalled
        // member is not waited for: its backlog grows until the server cuts it.
        const int window = 512;
        var progress = new int[2];
        Task? receiving = null;
        var padding = new string('p', lineLength - 10);
        async Task SendAll()
        {
            var chunk = new StringBuilder();
            for (var i = 0; i < lines; i++)
            {
                chunk.Append(CultureInfo.InvariantCulture, $"{i:D8} ").Append(padding).Append('\n');
                if (chunk.Length >= 64 * 1024 || i == lines - 1)
                {
                    var sentUpTo = i;
                    await Wait.UntilAsync(() => receiving!.IsCompleted || Math.Min(Volatile.Read(ref progress[0]), Volatile.Read(ref progress[1])) >= sentUpTo - window, "readers keep up");
                    await sender.SendAsync(chunk.ToString());
                    chunk.Clear();
                }
            }
        }

        var tooSlow = $"* {stalledName} left (too slow)";
        async Task ReceiveAll(ChatTestClient member, int index)
        {
            var sawTooSlow = 0;
            for (var i = 0; i < lines; i++)
            {
                var line = await member.ReadLineAsync();
                if (line == tooSlow)
                {
                    sawTooSlow++;
                    i--;
                    continue;
                }

                var expected = $"<{sender.Name}> {i.ToString("D8", CultureInfo.InvariantCulture)} {padding}";
                Assert.True(expected == line, $"{member.Name}: line {i} wrong: '{line[..Math.Min(line.Length, 60)]}'");
                Volatile.Write(ref progress[index], i + 1);
            }

            if (sawTooSlow == 0)
            {
                await member.ExpectAsync(tooSlow);
                sawTooSlow++;
            }

            Assert.Equal(1, sawTooSlow);
        }

        receiving = Task.WhenAll(ReceiveAll(r1, 0), ReceiveAll(r2, 1));
        await Task.WhenAll(receiving, SendAll()).WithTimeout("20 MiB through the room", LoadTimeout);

        await sender.ExpectAsync(tooSlow);
        await sender.SendLineAsync("/who");
        await sender.ExpectAsync($"* in lobby: {Sorted(r1.Name, r2.Name, sender.Name)}");

        // The server has closed the stalled member (it gets at most what was queued, then EOF).
        Assert.True(await stalled.Client.IsClosedByServerAsync(), "stalled member still open");
    }

    [Theory]
    [MemberData(nameof(TestServers.TcpConcurrentModels), MemberType = typeof(TestServers))]
    public async Task Two_hundred_members_all_receive_one_broadcast(TcpModel model)
    {
        const int count = 200;
        await using var chat = Start(model);
        var members = new List<ChatTestClient>();
        for (var i = 0; i < count; i++)
        {
            members.Add(await chat.JoinAsync());
        }

        var sender = await chat.JoinAsync();
        await sender.SendLineAsync("broadcast to all");

        async Task Receive(ChatTestClient member, int index)
        {
            var skipped = await member.SkipUntilAsync($"<{sender.Name}> broadcast to all");
            var expected = members.Skip(index + 1).Select(m => $"* {m.Name} joined").Append($"* {sender.Name} joined");
            Assert.Equal(expected, skipped);
        }

        await Task.WhenAll(members.Select(Receive)).WithTimeout("200 members receive", LoadTimeout);
        await sender.SendLineAsync("/rooms");
        await sender.ExpectAsync($"* rooms: lobby({count + 1})");
    }

    [GeneratedRegex(@"^<(\S+)> m (\d+) from (\S+)$")]
    private static partial Regex MessageRegex();

    [GeneratedRegex(@"^\* (user\d+) joined$")]
    private static partial Regex JoinedRegex();
}
