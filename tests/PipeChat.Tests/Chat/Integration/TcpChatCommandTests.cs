using System.Text;
using PipeChat.Servers;
using PipeChat.Tests.Support;
using static PipeChat.Tests.Chat.Integration.TcpChatFixture;

namespace PipeChat.Tests.Chat.Integration;

/// <summary>docs/protocols.md line by line over real loopback sockets, for both concurrent models.</summary>
public class TcpChatCommandTests
{
    [Theory]
    [MemberData(nameof(TestServers.TcpConcurrentModels), MemberType = typeof(TestServers))]
    public async Task Welcome_names_are_unique_and_only_the_others_hear_a_join(TcpModel model)
    {
        await using var chat = Start(model);

        var a = await chat.JoinAsync();
        await a.SendLineAsync("/who");
        await a.ExpectAsync($"* in lobby: {a.Name}"); // no "* A joined" for A itself

        var b = await chat.JoinAsync();
        await a.ExpectAsync($"* {b.Name} joined");
        await b.SendLineAsync("/who");
        await b.ExpectAsync($"* in lobby: {Sorted(a.Name, b.Name)}");

        // b takes the next userN by hand (other case): the server must not hand it out again.
        var next = "USER" + (int.Parse(b.Name.AsSpan(4), System.Globalization.CultureInfo.InvariantCulture) + 1);
        await b.SendLineAsync($"/nick {next}");
        await b.ExpectAsync($"* you are now {next}");
        await a.ExpectAsync($"* {b.Name} is now {next}");
        b.Name = next;

        var c = await chat.JoinAsync();
        await a.ExpectAsync($"* {c.Name} joined");
        await b.ExpectAsync($"* {c.Name} joined");
        await c.SendLineAsync("/who");
        await c.ExpectAsync($"* in lobby: {Sorted(a.Name, b.Name, c.Name)}");

        Assert.Equal(3, new[] { a.Name, b.Name, c.Name }.Distinct(StringComparer.OrdinalIgnoreCase).Count());
    }

    [Theory]
    [MemberData(nameof(TestServers.TcpConcurrentModels), MemberType = typeof(TestServers))]
    public async Task A_plain_line_reaches_every_other_member_but_not_the_sender(TcpModel model)
    {
        await using var chat = Start(model);
        var (a, b, c) = await ThreeAsync(chat);

        await a.SendLineAsync("hello world");
        await a.SendLineAsync("/who");

        await b.ExpectAsync($"<{a.Name}> hello world");
        await c.ExpectAsync($"<{a.Name}> hello world");

        // Had A got its own line back, it would have come before the /who reply.
        await a.ExpectAsync($"* in lobby: {Sorted(a.Name, b.Name, c.Name)}");
    }

    [Theory]
    [MemberData(nameof(TestServers.TcpConcurrentModels), MemberType = typeof(TestServers))]
    public async Task Nick_renames_and_rejects_invalid_and_taken_names(TcpModel model)
    {
        await using var chat = Start(model);
        var (a, b) = await TwoAsync(chat);
        var oldA = a.Name;
        var oldB = b.Name;

        await a.SendLineAsync("/nick alice");
        await a.ExpectAsync("* you are now alice");
        await b.ExpectAsync($"* {oldA} is now alice");

        await b.SendLineAsync("/nick ALICE");
        await b.ExpectAsync("! name ALICE is taken");
        await b.SendLineAsync("/nick bad name");
        await b.ExpectAsync("! invalid name");
        await b.SendLineAsync("/nick " + new string('x', 33));
        await b.ExpectAsync("! invalid name");
        await b.SendLineAsync("/nick");
        await b.ExpectAsync("! usage: /nick NAME");
        await b.SendLineAsync("/nick héllo");
        await b.ExpectAsync("! invalid name");
        await b.SendLineAsync("/nick a+b");
        await b.ExpectAsync("! invalid name");

        var longest = "B_." + new string('9', 28) + "-"; // 32 characters, every allowed kind
        await b.SendLineAsync($"/nick {longest}");
        await b.ExpectAsync($"* you are now {longest}");

        // The failed attempts told the room nothing: A's next line is the successful rename.
        await a.ExpectAsync($"* {oldB} is now {longest}");

        await a.SendLineAsync("hi");
        await b.ExpectAsync("<alice> hi");
        await a.SendLineAsync("/who");
        await a.ExpectAsync($"* in lobby: {Sorted("alice", longest)}");
    }

    [Theory]
    [MemberData(nameof(TestServers.TcpConcurrentModels), MemberType = typeof(TestServers))]
    public async Task Join_moves_a_member_between_rooms_and_rooms_lists_them_sorted(TcpModel model)
    {
        await using var chat = Start(model);
        var (a, b, c) = await ThreeAsync(chat);

        await a.SendLineAsync("/join dev");
        await a.ExpectAsync("* joined dev");
        await b.ExpectAsync($"* {a.Name} left");
        await c.ExpectAsync($"* {a.Name} left");

        await b.SendLineAsync("/join dev");
        await b.ExpectAsync("* joined dev");
        await a.ExpectAsync($"* {b.Name} joined");
        await c.ExpectAsync($"* {b.Name} left");

        // Lines stay in the room.
        await a.SendLineAsync("in dev");
        await b.ExpectAsync($"<{a.Name}> in dev");
        await c.SendLineAsync("in lobby");
        await c.SendLineAsync("/who");
        await c.ExpectAsync($"* in lobby: {c.Name}");
        await a.SendLineAsync("/who");
        await a.ExpectAsync($"* in dev: {Sorted(a.Name, b.Name)}");

        await c.SendLineAsync("/rooms");
        await c.ExpectAsync("* rooms: dev(2) lobby(1)");

        // lobby empties and disappears; names sort ignoring case (ordinal would put Zeta first).
        await c.SendLineAsync("/join Zeta");
        await c.ExpectAsync("* joined Zeta");
        await a.SendLineAsync("/join alpha");
        await a.ExpectAsync("* joined alpha");
        await b.ExpectAsync($"* {a.Name} left");
        await c.SendLineAsync("/rooms");
        await c.ExpectAsync("* rooms: alpha(1) dev(1) Zeta(1)");

        await c.SendLineAsync("/join bad room!");
        await c.ExpectAsync("! invalid name");

        await b.SendLineAsync("/join alpha");
        await b.ExpectAsync("* joined alpha");
        await a.ExpectAsync($"* {b.Name} joined");
        await b.SendLineAsync("/rooms");
        await b.ExpectAsync("* rooms: alpha(2) Zeta(1)");

        // Nothing from other rooms leaked to c in all that time.
        await c.SendLineAsync("/who");
        await c.ExpectAsync($"* in Zeta: {c.Name}");
    }

    [Theory]
    [MemberData(nameof(TestServers.TcpConcurrentModels), MemberType = typeof(TestServers))]
    public async Task Quit_says_bye_closes_and_the_room_hears_left(TcpModel model)
    {
        await using var chat = Start(model);
        var (a, b) = await TwoAsync(chat);

        await a.SendLineAsync("/quit");
        await a.ExpectAsync("* bye");
        await a.ExpectClosedAsync();
        await b.ExpectAsync($"* {a.Name} left");

        await b.SendLineAsync("/who");
        await b.ExpectAsync($"* in lobby: {b.Name}");
    }

    [Theory]
    [MemberData(nameof(TestServers.TcpConcurrentModels), MemberType = typeof(TestServers))]
    public async Task Unknown_commands_are_errors_to_the_sender_only(TcpModel model)
    {
        await using var chat = Start(model);
        var (a, b) = await TwoAsync(chat);

        await a.SendLineAsync("/frobnicate now please");
        await a.ExpectAsync("! unknown command: /frobnicate");
        await a.SendLineAsync("/NICK x");
        await a.ExpectAsync("! unknown command: /NICK");
        await a.SendLineAsync("/nickname x");
        await a.ExpectAsync("! unknown command: /nickname");

        await b.SendLineAsync("/who");
        await b.ExpectAsync($"* in lobby: {Sorted(a.Name, b.Name)}");
    }

    [Theory]
    [MemberData(nameof(TestServers.TcpConcurrentModels), MemberType = typeof(TestServers))]
    public async Task A_double_slash_line_is_sent_as_text_starting_with_one_slash(TcpModel model)
    {
        await using var chat = Start(model);
        var (a, b) = await TwoAsync(chat);

        await a.SendLineAsync("//nick bob");
        await a.SendLineAsync("//");
        await b.ExpectAsync($"<{a.Name}> /nick bob");
        await b.ExpectAsync($"<{a.Name}> /");

        // Not a command: the name did not change and a got nothing.
        await a.SendLineAsync("/who");
        await a.ExpectAsync($"* in lobby: {Sorted(a.Name, b.Name)}");
    }

    [Theory]
    [MemberData(nameof(TestServers.TcpConcurrentModels), MemberType = typeof(TestServers))]
    public async Task CRLF_is_stripped_and_empty_lines_are_ignored(TcpModel model)
    {
        await using var chat = Start(model);
        var (a, b) = await TwoAsync(chat);

        await a.SendAsync("one\r\n\r\n\n\ntwo\n\r\nx\ry\r\n");
        await a.SendLineAsync("/who");

        await b.ExpectAsync($"<{a.Name}> one");
        await b.ExpectAsync($"<{a.Name}> two");
        await b.ExpectAsync($"<{a.Name}> x\uFFFDy"); // only the \r before \n is dropped; an inner one is replaced
        await a.ExpectAsync($"* in lobby: {Sorted(a.Name, b.Name)}");

        await b.SendLineAsync("/who");
        await b.ExpectAsync($"* in lobby: {Sorted(a.Name, b.Name)}");
    }

    public static TheoryData<TcpModel, int> ModelsAndMaxLines()
    {
        var data = new TheoryData<TcpModel, int>();
        foreach (var model in TcpModel.Expand([ConnectionModel.Threads, ConnectionModel.Async]))
        {
            data.Add(model, 4096);
            data.Add(model, 100);

            // Over the async transport's input pause threshold (64 KiB): an unfinished line must still be read on.
            data.Add(model, 200_000);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ModelsAndMaxLines))]
    public async Task Lines_up_to_max_line_bytes_pass_and_one_more_byte_ends_the_member(TcpModel model, int maxLine)
    {
        await using var chat = Start(model, maxLine: maxLine);
        var (a, b) = await TwoAsync(chat);

        var exact = new string('x', maxLine);
        await a.SendLineAsync(exact);
        await b.ExpectAsync($"<{a.Name}> {exact}");

        var exactCrlf = new string('y', maxLine);
        await a.SendAsync(exactCrlf + "\r\n");
        await b.ExpectAsync($"<{a.Name}> {exactCrlf}");

        // The limit is in UTF-8 bytes: maxLine characters, one of them two bytes long.
        var overByOne = new string('z', maxLine - 1) + "é";
        Assert.Equal(maxLine + 1, Encoding.UTF8.GetByteCount(overByOne));
        await a.SendLineAsync(overByOne);
        await a.ExpectAsync("! line too long");
        await a.ExpectClosedAsync();
        await b.ExpectAsync($"* {a.Name} left");
    }

    [Theory]
    [MemberData(nameof(ModelsAndMaxLines))]
    public async Task An_unfinished_line_already_over_max_line_is_refused_at_once(TcpModel model, int maxLine)
    {
        await using var chat = Start(model, maxLine: maxLine);
        var (a, b) = await TwoAsync(chat);

        // No newline ever comes: the server must not wait for one.
        await a.SendAsync(new string('w', maxLine + 100));
        await a.ExpectAsync("! line too long");
        await a.ExpectClosedAsync();
        await b.ExpectAsync($"* {a.Name} left");

        await b.SendLineAsync("/who");
        await b.ExpectAsync($"* in lobby: {b.Name}");
    }

    [Theory]
    [MemberData(nameof(TestServers.TcpConcurrentModels), MemberType = typeof(TestServers))]
    public async Task Control_characters_and_invalid_UTF8_reach_the_others_as_U_FFFD_and_the_server_keeps_going(TcpModel model)
    {
        await using var chat = Start(model);
        var (a, b) = await TwoAsync(chat);

        // Bare \r, ESC [2J, NUL, DEL, C1 (U+009B, the one-byte CSI), invalid UTF-8; TAB and an emoji stay.
        byte[] line =
        [
            .. "hi\rfake <admin> x\u001b[2J"u8, 0x00, 0x7F, 0xC2, 0x9B, (byte)'\t', .. "\U0001F600"u8,
            0xFF, 0xFE, (byte)'A', 0xC3, 0x28, 0xED, 0xA0, 0x80, (byte)'z',
        ];
        await a.SendAsync(line.Append((byte)'\n').ToArray());

        string expected = $"<{a.Name}> hi\uFFFDfake <admin> x\uFFFD[2J\uFFFD\uFFFD\uFFFD\t\U0001F600\uFFFD\uFFFDA\uFFFD(\uFFFD\uFFFD\uFFFDz";
        Assert.Equal(Encoding.UTF8.GetBytes(expected), await b.ReadLineBytesAsync());

        // "\r\n" ends a line as before: only a bare \r is replaced.
        await a.SendAsync("crlf\r\n"u8.ToArray());
        await b.ExpectAsync($"<{a.Name}> crlf");

        await a.SendAsync(new byte[] { (byte)'/', (byte)'n', (byte)'i', (byte)'c', (byte)'k', (byte)' ', 0xFF, (byte)'\n' });
        await a.ExpectAsync("! invalid name");
        await a.SendAsync("/\u001b]0;pwned\u0007\n"u8.ToArray());
        Assert.Equal(Encoding.UTF8.GetBytes("! unknown command: /\uFFFD]0;pwned\uFFFD"), await a.ReadLineBytesAsync());

        var c = await chat.JoinAsync();
        await a.ExpectAsync($"* {c.Name} joined");
        await b.ExpectAsync($"* {c.Name} joined");
        await a.SendLineAsync("still here");
        await b.ExpectAsync($"<{a.Name}> still here");
        await c.ExpectAsync($"<{a.Name}> still here");
    }

    [Theory]
    [MemberData(nameof(TestServers.TcpConcurrentModels), MemberType = typeof(TestServers))]
    public async Task Help_lists_the_commands_and_nick_or_join_without_argument_get_usage(TcpModel model)
    {
        await using var chat = Start(model);
        var (a, b) = await TwoAsync(chat);

        await a.SendLineAsync("/help");
        await a.ExpectAsync("* commands: /nick NAME, /join ROOM, /who, /rooms, /quit, /help");
        await a.SendLineAsync("/nick");
        await a.ExpectAsync("! usage: /nick NAME");
        await a.SendLineAsync("/join   ");
        await a.ExpectAsync("! usage: /join ROOM");

        // Nothing of it reached the room: B's next line is A's next message.
        await a.SendLineAsync("done");
        await b.ExpectAsync($"<{a.Name}> done");
        await a.SendLineAsync("/who");
        await a.ExpectAsync($"* in lobby: {Sorted(a.Name, b.Name)}");
    }

    private static async Task<(ChatTestClient A, ChatTestClient B)> TwoAsync(TcpChatFixture chat)
    {
        var members = await chat.JoinAllAsync(2);
        return (members[0], members[1]);
    }

    private static async Task<(ChatTestClient A, ChatTestClient B, ChatTestClient C)> ThreeAsync(TcpChatFixture chat)
    {
        var members = await chat.JoinAllAsync(3);
        return (members[0], members[1], members[2]);
    }
}
