using PipeChat.Servers;
using PipeChat.Tests.Support;
using static PipeChat.Tests.Chat.Integration.TcpChatFixture;

namespace PipeChat.Tests.Chat.Integration;

/// <summary>docs/protocols.md: a member that cannot keep up is disconnected, whether or not it ever reads again.</summary>
public class TcpChatCutOffTests
{
    [Theory]
    [MemberData(nameof(TestServers.TcpConcurrentModels), MemberType = typeof(TestServers))]
    public async Task A_member_cut_off_as_too_slow_is_disconnected_and_frees_its_slot_without_reading_again(TcpModel model)
    {
        // Two slots: the sender and the stalled member. The default 1 MiB limit is only passed once the
        // stalled socket's buffers are full too, so the server cannot simply finish sending to it.
        await using var chat = Start(model, maxConnections: 2);
        var sender = await chat.JoinAsync();
        var stalled = await chat.ConnectAsync(bufferSize: 16 * 1024);
        var joined = await sender.ReadLineAsync();
        Assert.Matches(@"^\* user\d+ joined$", joined);
        var stalledName = joined[2..^" joined".Length];

        // Send 256 KiB chunks until the server reports the stalled member too slow.
        var chunk = string.Concat(Enumerable.Repeat(new string('x', 1023) + "\n", 256));
        var tooSlow = $"* {stalledName} left (too slow)";
        string? heard = null;
        for (var sent = 0; heard is null; sent += chunk.Length)
        {
            Assert.True(sent < 64 * 1024 * 1024, "64 MiB sent and the stalled member was never cut off");
            await sender.SendAsync(chunk);
            heard = await sender.TryReadLineAsync(TimeSpan.FromMilliseconds(10));
        }

        Assert.Equal(tooSlow, heard);
        Assert.Equal(1, chat.Protocol.Hub.MemberCount);

        // docs/protocols.md: the member "is disconnected". The server must let go of the connection although
        // the peer never reads again; waiting for it to drain would keep a dead peer (and its slot)
        // for ever.
        await Wait.UntilAsync(() => chat.Server.Stats.Active == 1, "the server closes the cut-off connection while the peer still does not read", TimeSpan.FromSeconds(10));
        var newcomer = await chat.JoinAsync();
        await sender.ExpectAsync($"* {newcomer.Name} joined");
    }
}
