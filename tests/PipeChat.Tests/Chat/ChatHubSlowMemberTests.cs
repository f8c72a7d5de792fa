using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using PipeChat.Protocols.Chat;

namespace PipeChat.Tests.Chat;

/// <summary>
/// Members whose pending output passes the limit (here 200 bytes) are cut off without hurting anyone else,
/// and nobody ever waits for them.
/// </summary>
public class ChatHubSlowMemberTests : ChatHubTestBase
{
    private const int Limit = 200;
    private readonly FakeLogger _logger;
    private readonly FakeTimeProvider _time;

    public ChatHubSlowMemberTests()
        : this(new FakeLogger(), new FakeTimeProvider())
    {
    }

    private ChatHubSlowMemberTests(FakeLogger logger, FakeTimeProvider time)
        : base(maxPendingOutput: Limit, logger: logger, time: time)
    {
        _logger = logger;
        _time = time;
    }

    // "<user1> " + 40 characters + "\n": 49 bytes, so the fifth line passes 200 bytes.
    private static readonly string Line = new('x', 40);

    [Fact]
    public void Slow_member_is_cut_off_and_the_room_hears_too_slow()
    {
        var m = ConnectQuietly(3);
        var slow = m[1];
        slow.Sink.Stalled = true;

        // The ring checks backlogs every Limit/16 bytes: a few lines past the limit at most.
        for (int i = 0; i < 10 && !slow.Member.HasLeft; i++)
        {
            Assert.True(Say(m[0].Member, Line));
            _ = m[2].Sink.Lines;
        }

        Assert.True(slow.Member.HasLeft);
        Assert.Equal(1, slow.Sink.AbortCount);
        Assert.Equal(0, slow.Sink.CloseCount);
        Assert.Equal(1, Hub.MembersCutOff);
        Assert.Equal(["* user2 left (too slow)"], m[0].Sink.Lines);
        Assert.Equal("* user2 left (too slow)", m[2].Sink.Last);
        Assert.Equal(2, Hub.MemberCount);
        Assert.Equal(0, slow.Member.PendingBytes);
    }

    [Fact]
    public void Cut_offs_are_logged_at_information_at_most_once_a_second_with_the_rest_counted()
    {
        var m = ConnectQuietly(4);
        for (int i = 1; i < 4; i++)
        {
            m[i].Sink.Stalled = true;
        }

        for (int i = 0; i < 10 && m.Skip(1).Any(x => !x.Member.HasLeft); i++)
        {
            Say(m[0].Member, Line);
        }

        Assert.Equal(3, Hub.MembersCutOff);
        var first = Assert.Single(_logger.Collector.GetSnapshot());
        Assert.Equal(LogLevel.Information, first.Level);
        Assert.Contains("cut off as too slow (0 more", first.Message, StringComparison.Ordinal);

        _time.Advance(TimeSpan.FromSeconds(1));
        var late = Connect();
        late.Sink.Stalled = true;
        for (int i = 0; i < 10 && !late.Member.HasLeft; i++)
        {
            Say(m[0].Member, Line);
        }

        Assert.Equal(4, Hub.MembersCutOff);
        Assert.Equal(2, _logger.Collector.Count);
        Assert.Contains($"member {late.Member.Name} cut off as too slow (2 more", _logger.LatestRecord.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Readers_that_keep_up_are_never_cut_off()
    {
        var m = ConnectQuietly(3);

        for (int i = 0; i < 1_000; i++)
        {
            Say(m[i % 3].Member, Line);
            foreach (var (_, sink) in m)
            {
                sink.Take();
            }
        }

        Assert.Equal(0, Hub.MembersCutOff);
        Assert.Equal(3, Hub.MemberCount);
    }

    [Fact]
    public void Member_over_the_limit_is_refused_its_own_reply_and_cut_off()
    {
        var m = ConnectQuietly(2);
        m[0].Sink.Stalled = true;
        for (int i = 0; i < 4; i++)
        {
            Say(m[1].Member, Line);
        }

        // 196 bytes of room lines waiting; the 26-byte reply would pass 200.
        Assert.Equal(196, m[0].Member.PendingBytes);
        Assert.False(Say(m[0].Member, "/dance"));

        Assert.True(m[0].Member.HasLeft);
        Assert.Equal(["* user1 left (too slow)"], m[1].Sink.Lines);
        Assert.Equal(1, m[0].Sink.AbortCount);
    }

    [Fact]
    public void Member_over_the_limit_at_a_join_notice_is_cut_off_after_the_hub_lock_is_released()
    {
        var m = ConnectQuietly(2);
        m[0].Sink.Stalled = true;
        for (int i = 0; i < 3; i++)
        {
            Say(m[1].Member, Line);
        }

        // Ten joins: notices pile up on the stalled member until a scan finds it over the limit.
        var newcomers = Enumerable.Range(0, 10).Select(_ => Connect()).ToArray();

        Assert.True(m[0].Member.HasLeft);
        Assert.Contains("* user1 left (too slow)", newcomers[0].Sink.Lines);
    }

    [Fact]
    public void Cut_offs_of_several_members_all_happen_and_are_announced()
    {
        var m = ConnectQuietly(4);
        m[0].Sink.Stalled = true;
        m[1].Sink.Stalled = true;

        var lines = new List<string>();
        for (int i = 0; i < 10 && !(m[0].Member.HasLeft && m[1].Member.HasLeft); i++)
        {
            Say(m[3].Member, Line);
            lines.AddRange(m[2].Sink.Take());
        }

        Assert.True(m[0].Member.HasLeft);
        Assert.True(m[1].Member.HasLeft);
        Assert.False(m[2].Member.HasLeft);
        Assert.Contains("* user1 left (too slow)", lines);
        Assert.Contains("* user2 left (too slow)", lines);
        Assert.Equal(2, Hub.MembersCutOff);
    }

    [Fact]
    public void Cut_off_members_release_everything_they_held()
    {
        var m = ConnectQuietly(3);
        m[0].Sink.Stalled = true;
        for (int i = 0; i < 10 && !m[0].Member.HasLeft; i++)
        {
            Say(m[1].Member, Line);
        }

        Assert.True(m[0].Member.HasLeft);
        DisconnectAll();

        Assert.Equal(0, Pool.Outstanding);
    }

    [Fact]
    public void A_stalled_member_makes_the_ring_grow_instead_of_blocking_or_losing_lines()
    {
        // Tiny lines: many more than the ring's 256 initial slots fit under the byte limit.
        using var big = new BigLimitHub();
        var m = big.ConnectQuietly(2);
        m[0].Sink.Stalled = true;

        for (int i = 0; i < 2_000; i++)
        {
            big.Say(m[1].Member, "x");
        }

        Assert.False(m[0].Member.HasLeft);
        m[0].Sink.Stalled = false;
        string[] lines = m[0].Sink.Take();
        Assert.Equal(2_000, lines.Length);
        Assert.All(lines, l => Assert.Equal("<user2> x", l));
    }

    private sealed class BigLimitHub() : ChatHubTestBase(maxPendingOutput: 1024 * 1024);
}
