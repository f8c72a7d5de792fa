using System.Text;
using PipeChat.Protocols.Chat;

namespace PipeChat.Tests.Chat;

public class ChatHubTests : ChatHubTestBase
{
    [Fact]
    public void Connect_welcomes_the_member_and_announces_it_to_the_lobby_only()
    {
        var (alice, aliceSink) = Connect();
        var (bob, bobSink) = Connect();

        Assert.Equal("user1", alice.Name);
        Assert.Equal("user2", bob.Name);
        Assert.Equal(ChatHub.Lobby, bob.RoomName);
        Assert.Equal(["* welcome user1", "* user2 joined"], aliceSink.Lines);
        Assert.Equal(["* welcome user2"], bobSink.Lines);
        Assert.Equal(2, Hub.MemberCount);
        Assert.Equal(1, Hub.RoomCount);
    }

    [Fact]
    public void Generated_names_skip_names_taken_by_nick()
    {
        var (first, _) = Connect();
        Say(first, "/nick user2");

        var (second, _) = Connect();

        Assert.Equal("user3", second.Name);
    }

    [Fact]
    public void Plain_line_goes_to_every_other_member_of_the_room_and_not_back()
    {
        var m = ConnectQuietly(3);

        Assert.True(Say(m[0].Member, "hello there"));

        Assert.Empty(m[0].Sink.Lines);
        Assert.Equal(["<user1> hello there"], m[1].Sink.Lines);
        Assert.Equal(["<user1> hello there"], m[2].Sink.Lines);
    }

    [Fact]
    public void Plain_line_is_encoded_once_and_shared_by_all_recipients()
    {
        var m = ConnectQuietly(4);
        long before = Pool.Outstanding;

        Say(m[0].Member, "once");

        // One message, held once by the room's ring, however many recipients.
        Assert.Equal(before + 1, Pool.Outstanding);
        Assert.All(m.Skip(1), x => Assert.Equal(["<user1> once"], x.Sink.Lines));
        Assert.Equal(before + 1, Pool.Outstanding);
    }

    [Fact]
    public async Task Publishing_wakes_a_sleeping_member_once_until_it_reads_again()
    {
        var m = ConnectQuietly(2);
        int wakes = m[1].Sink.Wakes;

        Say(m[0].Member, "one");
        Say(m[0].Member, "two");
        Say(m[0].Member, "three");

        // Asleep after catching up: the first line wakes it (at once, or after the coalescing window if
        // the room woke someone just before), the next two find it already awake.
        await Support.Wait.UntilAsync(() => m[1].Sink.Wakes > wakes, "a wake-up");
        Assert.Equal(wakes + 1, m[1].Sink.Wakes);
        Assert.Equal(["<user1> one", "<user1> two", "<user1> three"], m[1].Sink.Lines);

        // Read up, so asleep again: the next line wakes it once more.
        Say(m[0].Member, "four");
        await Support.Wait.UntilAsync(() => m[1].Sink.Wakes == wakes + 2, "a second wake-up");
        Assert.Equal(["<user1> four"], m[1].Sink.Take()[^1..]);
    }

    [Fact]
    public void Invalid_utf8_is_relayed_as_replacement_characters()
    {
        var m = ConnectQuietly(2);
        byte[] text = [0xFF, 0xFE, (byte)'x', 0xC3];

        Hub.OnLine(m[0].Member, text);

        Assert.Equal([.. "<user1> \uFFFD\uFFFDx\uFFFD\n"u8], m[1].Sink.Raw[0]);
    }

    [Fact]
    public void Empty_lines_are_ignored()
    {
        var m = ConnectQuietly(2);

        Assert.True(Hub.OnLine(m[0].Member, ReadOnlySpan<byte>.Empty));

        Assert.Empty(m[0].Sink.Lines);
        Assert.Empty(m[1].Sink.Lines);
    }

    [Fact]
    public void Lone_member_talks_to_nobody()
    {
        var (alone, sink) = Connect();
        sink.Take();

        Assert.True(Say(alone, "anyone?"));

        Assert.Empty(sink.Lines);
        Assert.Equal(0, Pool.Outstanding);
    }

    [Fact]
    public void Double_slash_sends_text_starting_with_one_slash()
    {
        var m = ConnectQuietly(2);

        Say(m[0].Member, "//nick is a command");

        Assert.Equal(["<user1> /nick is a command"], m[1].Sink.Lines);
        Assert.Equal("user1", m[0].Member.Name);
    }

    [Theory]
    [InlineData("/dance", "! unknown command: /dance")]
    [InlineData("/dance all night", "! unknown command: /dance")]
    [InlineData("/NICK bob", "! unknown command: /NICK")]
    [InlineData("/", "! unknown command: /")]
    public void Unknown_commands_get_an_error_and_nothing_else(string line, string reply)
    {
        var m = ConnectQuietly(2);

        Assert.True(Say(m[0].Member, line));

        Assert.Equal([reply], m[0].Sink.Lines);
        Assert.Empty(m[1].Sink.Lines);
    }

    [Fact]
    public void Nick_renames_and_tells_the_room()
    {
        var m = ConnectQuietly(2);

        Say(m[0].Member, "/nick alice");
        Say(m[0].Member, "hi");

        Assert.Equal("alice", m[0].Member.Name);
        Assert.Equal(["* you are now alice"], m[0].Sink.Lines);
        Assert.Equal(["* user1 is now alice", "<alice> hi"], m[1].Sink.Lines);
    }

    [Theory]
    [InlineData("/nick", "! usage: /nick NAME")]
    [InlineData("/nick   ", "! usage: /nick NAME")]
    [InlineData("/join", "! usage: /join ROOM")]
    [InlineData("/join ", "! usage: /join ROOM")]
    [InlineData("/help", "* commands: /nick NAME, /join ROOM, /who, /rooms, /quit, /help")]
    [InlineData("/help me", "* commands: /nick NAME, /join ROOM, /who, /rooms, /quit, /help")]
    public void Help_and_usage_go_to_the_asker_alone(string line, string reply)
    {
        var m = ConnectQuietly(2);

        Assert.True(Say(m[0].Member, line));

        Assert.Equal([reply], m[0].Sink.Lines);
        Assert.Empty(m[1].Sink.Lines);
        Assert.Equal("user1", m[0].Member.Name);
        Assert.Equal(ChatHub.Lobby, m[0].Member.RoomName);
    }

    [Fact]
    public void Relayed_text_and_echoed_unknown_commands_are_sanitized_once()
    {
        var m = ConnectQuietly(3);
        long before = Pool.Outstanding;

        Say(m[0].Member, "a\rb\u001b[2J\tc\u0085\U0001F600");

        Assert.Equal(before + 1, Pool.Outstanding);
        Assert.All(m.Skip(1), x => Assert.Equal(["<user1> a\uFFFDb\uFFFD[2J\tc\uFFFD\U0001F600"], x.Sink.Lines));

        Say(m[0].Member, "/\u001b[2J");
        Assert.Equal(["! unknown command: /\uFFFD[2J"], m[0].Sink.Lines);
    }

    [Theory]
    [InlineData("/nick bob smith")]
    [InlineData("/nick b!b")]
    [InlineData("/nick jörg")]
    [InlineData("/nick abcdefghijklmnopqrstuvwxyz0123456")]
    public void Invalid_nick_is_refused(string line)
    {
        var m = ConnectQuietly(2);

        Say(m[0].Member, line);

        Assert.Equal(["! invalid name"], m[0].Sink.Lines);
        Assert.Empty(m[1].Sink.Lines);
        Assert.Equal("user1", m[0].Member.Name);
    }

    [Fact]
    public void Nick_of_exactly_32_characters_is_accepted()
    {
        var (member, sink) = Connect();
        string name = new('n', 32);

        Say(member, "/nick " + name);

        Assert.Equal("* you are now " + name, sink.Last);
    }

    [Fact]
    public void Nick_taken_by_someone_else_in_any_case_is_refused()
    {
        var m = ConnectQuietly(2);
        Say(m[0].Member, "/nick Bob");
        m[1].Sink.Take();

        Say(m[1].Member, "/nick bOB");

        Assert.Equal(["! name bOB is taken"], m[1].Sink.Lines);
        Assert.Equal("user2", m[1].Member.Name);
    }

    [Fact]
    public void Names_are_unique_across_rooms()
    {
        var m = ConnectQuietly(2);
        Say(m[0].Member, "/join dev");
        Say(m[0].Member, "/nick carol");

        Say(m[1].Member, "/nick CAROL");

        Assert.Equal("! name CAROL is taken", m[1].Sink.Last);
    }

    [Fact]
    public void Freed_names_can_be_taken_again()
    {
        var m = ConnectQuietly(2);
        Say(m[0].Member, "/nick dave");
        Say(m[0].Member, "/nick eve");

        Say(m[1].Member, "/nick dave");

        Assert.Equal("* you are now dave", m[1].Sink.Last);
    }

    [Fact]
    public void Nick_may_change_the_case_of_ones_own_name()
    {
        var m = ConnectQuietly(2);
        Say(m[0].Member, "/nick bob");

        Say(m[0].Member, "/nick BOB");

        Assert.Equal("BOB", m[0].Member.Name);
        Assert.Equal(["* user1 is now bob", "* bob is now BOB"], m[1].Sink.Lines);
    }

    [Fact]
    public void Nick_to_the_same_name_confirms_without_telling_the_room()
    {
        var m = ConnectQuietly(2);

        Say(m[0].Member, "/nick user1");

        Assert.Equal(["* you are now user1"], m[0].Sink.Lines);
        Assert.Empty(m[1].Sink.Lines);
    }

    [Fact]
    public void Join_moves_the_member_with_notices_for_both_rooms()
    {
        var m = ConnectQuietly(3);
        Say(m[1].Member, "/join dev");
        m[0].Sink.Take();
        m[2].Sink.Take();

        Say(m[0].Member, "/join dev");

        Assert.Equal(["* joined dev"], m[0].Sink.Lines);
        Assert.Equal("* user1 joined", m[1].Sink.Last);
        Assert.Equal(["* user1 left"], m[2].Sink.Lines);
        Assert.Equal("dev", m[0].Member.RoomName);
    }

    [Fact]
    public void Messages_stay_inside_their_room()
    {
        var m = ConnectQuietly(3);
        Say(m[0].Member, "/join dev");
        Say(m[1].Member, "/join dev");
        foreach (var (_, sink) in m)
        {
            sink.Take();
        }

        Say(m[0].Member, "in dev");
        Say(m[2].Member, "in lobby");

        Assert.Equal(["<user1> in dev"], m[1].Sink.Lines);
        Assert.Empty(m[0].Sink.Lines);
        Assert.Empty(m[2].Sink.Lines);
    }

    [Fact]
    public void Rooms_exist_only_while_they_have_members()
    {
        var (member, sink) = Connect();

        Say(member, "/join dev");
        Assert.Equal(1, Hub.RoomCount);

        Say(member, "/rooms");
        Assert.Equal("* rooms: dev(1)", sink.Last);
    }

    [Theory]
    [InlineData("/join two words")]
    [InlineData("/join #dev")]
    [InlineData("/join abcdefghijklmnopqrstuvwxyz0123456")]
    public void Invalid_room_name_is_refused(string line)
    {
        var m = ConnectQuietly(2);

        Say(m[0].Member, line);

        Assert.Equal(["! invalid name"], m[0].Sink.Lines);
        Assert.Empty(m[1].Sink.Lines);
        Assert.Equal(ChatHub.Lobby, m[0].Member.RoomName);
    }

    [Fact]
    public void Joining_the_current_room_only_confirms()
    {
        var m = ConnectQuietly(2);

        Say(m[0].Member, "/join LOBBY");

        Assert.Equal(["* joined lobby"], m[0].Sink.Lines);
        Assert.Empty(m[1].Sink.Lines);
    }

    [Fact]
    public void Room_names_ignore_case_and_keep_their_first_spelling()
    {
        var m = ConnectQuietly(2);
        Say(m[0].Member, "/join Dev");

        Say(m[1].Member, "/join dEV");

        Assert.Equal("* joined Dev", m[1].Sink.Last);
        Assert.Equal("* user2 joined", m[0].Sink.Last);
        Assert.Equal(1, Hub.RoomCount);
    }

    [Fact]
    public void Who_lists_the_room_sorted_including_the_asker()
    {
        var m = ConnectQuietly(4);
        Say(m[0].Member, "/nick carol");
        Say(m[1].Member, "/nick Alice");
        Say(m[2].Member, "/nick bob");
        Say(m[3].Member, "/join elsewhere");
        m[2].Sink.Take();

        Say(m[2].Member, "/who");

        Assert.Equal(["* in lobby: Alice bob carol"], m[2].Sink.Lines);
    }

    [Fact]
    public void Rooms_lists_every_room_sorted_by_name_with_counts()
    {
        var m = ConnectQuietly(5);
        Say(m[0].Member, "/join zoo");
        Say(m[1].Member, "/join dev");
        Say(m[2].Member, "/join Alpha");
        m[3].Sink.Take();

        Say(m[3].Member, "/rooms");

        Assert.Equal(["* rooms: Alpha(1) dev(1) lobby(2) zoo(1)"], m[3].Sink.Lines);
    }

    [Fact]
    public void Commands_ignore_extra_words()
    {
        var (member, sink) = Connect();
        sink.Take();

        Say(member, "/who is here");
        Say(member, "/rooms please");

        Assert.Equal(["* in lobby: user1", "* rooms: lobby(1)"], sink.Lines);
    }

    [Fact]
    public void Quit_says_bye_closes_and_tells_the_room()
    {
        var m = ConnectQuietly(2);

        Assert.False(Say(m[0].Member, "/quit"));

        Assert.Equal(["* bye"], m[0].Sink.Lines);
        Assert.Equal(1, m[0].Sink.CloseCount);
        Assert.Equal(["* user1 left"], m[1].Sink.Lines);
        Assert.True(m[0].Member.HasLeft);
        Assert.Null(m[0].Member.RoomName);
        Assert.Equal(1, Hub.MemberCount);
    }

    [Fact]
    public void Nothing_reaches_or_comes_from_a_member_after_it_quit()
    {
        var m = ConnectQuietly(2);
        Say(m[0].Member, "/quit");
        m[1].Sink.Take();

        Assert.False(Say(m[0].Member, "still here?"));
        Say(m[1].Member, "hello?");
        Hub.Disconnect(m[0].Member);

        Assert.Equal(["* bye"], m[0].Sink.Lines);
        Assert.Empty(m[1].Sink.Lines);
        Assert.Equal(0, m[0].Sink.AbortCount);
        Assert.Equal(1, m[0].Sink.CloseCount);
    }

    [Fact]
    public void Last_member_quitting_removes_the_room()
    {
        var (member, _) = Connect();

        Say(member, "/quit");

        Assert.Equal(0, Hub.RoomCount);
        Assert.Equal(0, Hub.MemberCount);
    }

    [Fact]
    public void Line_too_long_errors_closes_and_tells_the_room()
    {
        var m = ConnectQuietly(2);

        Hub.LineTooLong(m[0].Member);

        Assert.Equal(["! line too long"], m[0].Sink.Lines);
        Assert.Equal(1, m[0].Sink.CloseCount);
        Assert.Equal(["* user1 left"], m[1].Sink.Lines);
    }

    [Fact]
    public void Disconnect_tells_the_room_once()
    {
        var m = ConnectQuietly(2);

        Hub.Disconnect(m[0].Member);
        Hub.Disconnect(m[0].Member);
        Hub.Disconnect(m[0].Member, tooSlow: true);

        Assert.Equal(["* user1 left"], m[1].Sink.Lines);
        Assert.Empty(m[0].Sink.Lines);
        Assert.Equal(1, m[0].Sink.CloseCount);
        Assert.Equal(1, Hub.MemberCount);
    }

    [Fact]
    public void Disconnect_as_too_slow_says_so()
    {
        var m = ConnectQuietly(2);

        Hub.Disconnect(m[0].Member, tooSlow: true);

        Assert.Equal(["* user1 left (too slow)"], m[1].Sink.Lines);
        Assert.Equal(1, m[0].Sink.AbortCount);
        Assert.Equal(0, m[0].Sink.CloseCount);
    }

    [Fact]
    public void Disconnected_name_becomes_free()
    {
        var m = ConnectQuietly(2);
        Say(m[0].Member, "/nick zed");
        Hub.Disconnect(m[0].Member);

        Say(m[1].Member, "/nick ZED");

        Assert.Equal("ZED", m[1].Member.Name);
    }

    [Fact]
    public void Shutdown_notice_is_the_last_line_every_member_gets()
    {
        var m = ConnectQuietly(3);
        Say(m[2].Member, "/join dev");
        foreach (var (_, sink) in m)
        {
            sink.Take();
        }

        Hub.BroadcastShutdown();
        Assert.False(Say(m[0].Member, "anyone?"));
        Hub.Disconnect(m[1].Member);
        Hub.BroadcastShutdown();

        Assert.True(Hub.IsShuttingDown);
        Assert.All(m, x => Assert.Equal(["* server shutting down"], x.Sink.Lines));
        Assert.All(m, x => Assert.True(x.Sink.Closed));
    }

    [Fact]
    public void Connect_after_shutdown_only_hears_the_shutdown()
    {
        var (old, oldSink) = Connect();
        oldSink.Take();
        Hub.BroadcastShutdown();

        var (late, lateSink) = Connect();

        Assert.Equal(["* server shutting down"], lateSink.Lines);
        Assert.True(lateSink.Closed);
        Assert.True(late.HasLeft);
        Assert.Equal(["* server shutting down"], oldSink.Lines);
        Assert.False(old.HasLeft);
    }

    [Fact]
    public void Every_buffer_returns_to_the_pool_once_everyone_has_left()
    {
        var m = ConnectQuietly(4);
        var (stalled, stalledSink) = Connect();
        stalledSink.Stalled = true;
        Say(m[0].Member, "hello");
        Say(m[1].Member, "/nick bob");
        Say(m[2].Member, "/join dev");
        Say(m[3].Member, "/who");
        Say(m[3].Member, "/rooms");
        Say(m[0].Member, "/dance");
        Say(m[1].Member, "/quit");
        Hub.LineTooLong(m[2].Member);
        _ = m[0].Sink.Lines;

        Assert.True(Pool.Outstanding > 0);
        Assert.True(stalled.PendingBytes > 0);
        DisconnectAll();

        Assert.Equal(0, Pool.Outstanding);
        Assert.Equal(0, Hub.RoomCount);
    }
}
