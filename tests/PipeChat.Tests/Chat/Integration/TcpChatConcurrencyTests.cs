using System.Globalization;
using System.Text;
using PipeChat.Servers;
using PipeChat.Tests.Support;
using static PipeChat.Tests.Chat.Integration.TcpChatFixture;

namespace PipeChat.Tests.Chat.Integration;

/// <summary>docs/protocols.md ordering promises while the room is busy: joins, renames, moves and quits mid-stream.</summary>
public partial class TcpChatConcurrencyTests
{
    private static readonly TimeSpan LoadTimeout = TimeSpan.FromSeconds(60);

    [Theory]
    [MemberData(nameof(TestServers.TcpConcurrentModels), MemberType = typeof(TestServers))]
    public async Task The_first_line_of_a_member_joining_a_busy_room_is_its_welcome(TcpModel model)
    {
        await using var chat = Start(model);
        var sender = await chat.JoinAsync();
        var flood = Numbered("m", 0, 3000);

        var sending = sender.SendAsync(flood);
        var joiners = new List<ChatTestClient>();
        for (var i = 0; i < 20; i++)
        {
            joiners.Add(await chat.JoinAsync()); // JoinAsync asserts the first line is "* welcome userN"
        }

        await sending.WithTimeout("flood sent");
        await sender.SendLineAsync("end");
        foreach (var joiner in joiners)
        {
            // Whatever part of the flood it got is an unbroken run up to the flood's last line.
            var skipped = await joiner.SkipUntilAsync($"<{sender.Name}> end");
            var flooded = skipped.Where(line => !JoinedRegex().IsMatch(line)).ToList();
            if (flooded.Count > 0)
            {
                var first = 3000 - flooded.Count;
                Assert.Equal(Enumerable.Range(first, flooded.Count).Select(i => $"<{sender.Name}> m {i}"), flooded);
            }
        }
    }

    [Theory]
    [MemberData(nameof(TestServers.TcpConcurrentModels), MemberType = typeof(TestServers))]
    public async Task A_rename_in_the_middle_of_a_burst_splits_it_cleanly(TcpModel model)
    {
        await using var chat = Start(model);
        var members = await chat.JoinAllAsync(4);
        var sender = members[0];
        var oldName = sender.Name;

        await sender.SendAsync(Numbered("m", 0, 500) + "/nick renamed\n" + Numbered("m", 500, 500));

        async Task Check(ChatTestClient member)
        {
            for (var i = 0; i < 500; i++)
            {
                await member.ExpectAsync($"<{oldName}> m {i}");
            }

            await member.ExpectAsync($"* {oldName} is now renamed");
            for (var i = 500; i < 1000; i++)
            {
                await member.ExpectAsync($"<renamed> m {i}");
            }
        }

        await Task.WhenAll(members[1..].Select(Check)).WithTimeout("burst received", LoadTimeout);
        await sender.ExpectAsync("* you are now renamed");
        await sender.SendLineAsync("/who");
        await sender.ExpectAsync($"* in lobby: {Sorted(["renamed", .. members[1..].Select(m => m.Name)])}");
    }

    [Theory]
    [MemberData(nameof(TestServers.TcpConcurrentModels), MemberType = typeof(TestServers))]
    public async Task A_member_moving_rooms_during_a_burst_gets_nothing_from_the_old_room_after_joined(TcpModel model)
    {
        await using var chat = Start(model);
        var members = await chat.JoinAllAsync(3);
        var (sender, mover, stayer) = (members[0], members[1], members[2]);

        var sending = sender.SendAsync(Numbered("m", 0, 3000));
        await mover.SendLineAsync("/join dev");

        // The mover: an unbroken prefix of the burst, then "* joined dev", then nothing from the lobby.
        var next = 0;
        string line;
        while ((line = await mover.ReadLineAsync()) != "* joined dev")
        {
            Assert.Equal($"<{sender.Name}> m {next}", line);
            next++;
        }

        await sending.WithTimeout("burst sent");

        // The stayer gets the whole burst, with "* MOVER left" somewhere in it.
        var sawLeft = false;
        for (var i = 0; i < 3000; i++)
        {
            line = await stayer.ReadLineAsync();
            if (!sawLeft && line == $"* {mover.Name} left")
            {
                sawLeft = true;
                i--;
                continue;
            }

            Assert.Equal($"<{sender.Name}> m {i}", line);
        }

        if (!sawLeft)
        {
            await stayer.ExpectAsync($"* {mover.Name} left");
        }

        // Both burst and notices are over for the sender's room; the mover has nothing queued.
        await sender.ExpectAsync($"* {mover.Name} left");
        await mover.SendLineAsync("/who");
        await mover.ExpectAsync($"* in dev: {mover.Name}");
    }

    [Theory]
    [MemberData(nameof(TestServers.TcpConcurrentModels), MemberType = typeof(TestServers))]
    public async Task Bye_is_the_last_line_even_while_the_room_is_busy_and_later_lines_are_not_relayed(TcpModel model)
    {
        await using var chat = Start(model);
        var members = await chat.JoinAllAsync(3);
        var (sender, quitter, stayer) = (members[0], members[1], members[2]);

        var sending = sender.SendAsync(Numbered("m", 0, 3000));
        await quitter.SendAsync("/quit\nafter quit\n");

        var next = 0;
        string line;
        while ((line = await quitter.ReadLineAsync()) != "* bye")
        {
            Assert.Equal($"<{sender.Name}> m {next}", line);
            next++;
        }

        await quitter.ExpectClosedAsync();
        await sending.WithTimeout("burst sent");

        var sawLeft = false;
        for (var i = 0; i < 3000; i++)
        {
            line = await stayer.ReadLineAsync();
            if (!sawLeft && line == $"* {quitter.Name} left")
            {
                sawLeft = true;
                i--;
                continue;
            }

            Assert.Equal($"<{sender.Name}> m {i}", line);
        }

        if (!sawLeft)
        {
            await stayer.ExpectAsync($"* {quitter.Name} left");
        }

        // "after quit" was never relayed: the stayer's next line is its /who reply.
        await stayer.SendLineAsync("/who");
        await stayer.ExpectAsync($"* in lobby: {Sorted(sender.Name, stayer.Name)}");
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^\* user\d+ joined$")]
    private static partial System.Text.RegularExpressions.Regex JoinedRegex();

    private static string Numbered(string prefix, int first, int count)
    {
        var text = new StringBuilder();
        for (var i = first; i < first + count; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"{prefix} {i}\n");
        }

        return text.ToString();
    }
}
