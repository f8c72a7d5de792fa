using System.Text;
using PipeChat.Protocols.Chat;

namespace PipeChat.Tests.Chat;

public class ChatNamesTests
{
    [Theory]
    [InlineData("a")]
    [InlineData("user1")]
    [InlineData("Bob_the-3rd.x")]
    [InlineData("___")]
    [InlineData("...")]
    [InlineData("-")]
    [InlineData("abcdefghijklmnopqrstuvwxyz012345")]
    public void Accepts(string name)
    {
        Assert.True(ChatNames.IsValid(Encoding.UTF8.GetBytes(name)));
        Assert.True(ChatNames.IsValid(name.AsSpan()));
    }

    [Theory]
    [InlineData("")]
    [InlineData("abcdefghijklmnopqrstuvwxyz0123456")]
    [InlineData("bob smith")]
    [InlineData(" bob")]
    [InlineData("bob!")]
    [InlineData("b/b")]
    [InlineData("<bob>")]
    [InlineData("bob\r")]
    [InlineData("bob\t")]
    [InlineData("jörg")]
    [InlineData("名前")]
    public void Rejects(string name)
    {
        Assert.False(ChatNames.IsValid(Encoding.UTF8.GetBytes(name)));
        Assert.False(ChatNames.IsValid(name.AsSpan()));
    }

    [Fact]
    public void Thirty_two_bytes_is_the_limit()
    {
        Assert.Equal(32, ChatNames.MaxLength);
        Assert.True(ChatNames.IsValid(new string('x', 32).AsSpan()));
        Assert.False(ChatNames.IsValid(new string('x', 33).AsSpan()));
    }

    [Fact]
    public void Uniqueness_ignores_case()
    {
        Assert.True(ChatNames.EqualsIgnoreCase("Bob"u8, "bOB"u8));
        Assert.False(ChatNames.EqualsIgnoreCase("bob"u8, "bob2"u8));
        Assert.True(ChatNames.Comparer.Equals("Dev", "dev"));
        Assert.Equal(0, ChatNames.Comparer.Compare("ALICE", "alice"));
    }
}
