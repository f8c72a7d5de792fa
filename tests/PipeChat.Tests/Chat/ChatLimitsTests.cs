using PipeChat.Protocols.Chat;

namespace PipeChat.Tests.Chat;

/// <summary>docs/library.md: a library user gets the same bound on the line length as the command line.</summary>
public sealed class ChatLimitsTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(ChatLimits.MaxLineLimit + 1)]
    [InlineData(16 * 1024 * 1024)]
    public void A_line_limit_no_model_can_hold_is_refused(int maxLine)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new ChatLimits { MaxLine = maxLine });
        Assert.Equal("MaxLine", e.ParamName);
    }

    [Fact]
    public void The_line_limit_runs_from_1_to_1_MiB_less_the_line_end()
    {
        Assert.Equal((1024 * 1024) - 2, ChatLimits.MaxLineLimit);
        Assert.Equal(1, new ChatLimits { MaxLine = 1 }.MaxLine);
        Assert.Equal(ChatLimits.MaxLineLimit, new ChatLimits { MaxLine = ChatLimits.MaxLineLimit }.MaxLine);
        Assert.Equal(4096, new ChatLimits().MaxLine);
    }
}
