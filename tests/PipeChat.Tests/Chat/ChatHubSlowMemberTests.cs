namespace PipeChat.Tests.Chat;

/// <summary>Members whose sink refuses a line (over the output limit) are cut off without hurting anyone else.</summary>
public class ChatHubSlowMemberTests : ChatHubTestBase
{
    [Fact]
    public void Slow_member_is_cut_off_and_the_room_hears_too_slow()
    {
        var m = ConnectQuietly(3);
        var slow = m[1];
        slow.Sink.Capacity = slow.Sink.Accepted;

        Assert.True(Say(m[0].Member, "hi"));
        Assert.True(Say(m[0].Member, "again"));

        Assert.True(slow.Member.HasLeft);
        Assert.Equal(1, slow.Sink.CloseCount);
        Assert.Equal(1, slow.Sink.Refused);
        Assert.Equal(["* user2 left (too slow)"], m[0].Sink.Lines);
        Assert.Equal(["<user1> hi", "* user2 left (too slow)", "<user1> again"], m[2].Sink.Lines);
        Assert.Equal(2, Hub.MemberCount);
    }

    [Fact]
    public void Member_refusing_a_join_notice_is_cut_off_after_the_hub_lock_is_released()
    {
        var (slowMember, slowSink) = Connect();
        slowSink.Capacity = slowSink.Accepted;

        var (_, newcomerSink) = Connect();

        Assert.True(slowMember.HasLeft);
        Assert.Equal(["* welcome user2", "* user1 left (too slow)"], newcomerSink.Lines);
    }

    [Fact]
    public void Cut_offs_cascade_without_recursion()
    {
        var m = ConnectQuietly(3);
        var (first, firstSink) = m[0];
        var (second, secondSink) = m[1];
        firstSink.Capacity = firstSink.Accepted;
        secondSink.Capacity = secondSink.Accepted + 1;

        Say(m[2].Member, "hi");

        Assert.True(first.HasLeft);
        Assert.True(second.HasLeft);
        Assert.Equal(["<user3> hi"], secondSink.Lines);
        Assert.Equal(["* user1 left (too slow)", "* user2 left (too slow)"], m[2].Sink.Lines);
    }

    [Fact]
    public void Member_refusing_its_own_reply_is_cut_off()
    {
        var m = ConnectQuietly(2);
        m[0].Sink.Capacity = m[0].Sink.Accepted;

        Assert.False(Say(m[0].Member, "/dance"));

        Assert.Equal(["* user1 left (too slow)"], m[1].Sink.Lines);
        Assert.Equal(1, m[0].Sink.CloseCount);
    }

    [Fact]
    public void Member_whose_sink_closed_on_its_own_is_removed_on_the_next_delivery()
    {
        var m = ConnectQuietly(2);
        m[1].Sink.Close();

        Say(m[0].Member, "hi");

        Assert.True(m[1].Member.HasLeft);
        Assert.Equal(1, Hub.MemberCount);
    }

    [Fact]
    public void Cut_off_members_release_everything_they_held()
    {
        var holding = new RecordingSink { HoldMessages = true };
        var (_, _) = Connect(holding);
        var m = ConnectQuietly(2);
        holding.Capacity = holding.Accepted + 1;

        Say(m[0].Member, "one");
        Say(m[0].Member, "two");
        holding.ReleaseAll();

        Assert.Equal(0, Pool.Outstanding);
    }
}
