using System.Text;
using PipeChat.Protocols.Chat;

namespace PipeChat.Tests.Chat;

public class ChatCommandTests
{
    [Theory]
    [InlineData("", ChatCommandKind.Empty, "")]
    [InlineData("hello world", ChatCommandKind.Message, "hello world")]
    [InlineData(" /nick bob", ChatCommandKind.Message, " /nick bob")]
    [InlineData("//nick bob", ChatCommandKind.Message, "/nick bob")]
    [InlineData("//", ChatCommandKind.Message, "/")]
    [InlineData("///x", ChatCommandKind.Message, "//x")]
    [InlineData("/nick bob", ChatCommandKind.Nick, "bob")]
    [InlineData("/nick   bob  ", ChatCommandKind.Nick, "bob")]
    [InlineData("/nick", ChatCommandKind.Nick, "")]
    [InlineData("/nick ", ChatCommandKind.Nick, "")]
    [InlineData("/nick bob smith", ChatCommandKind.Nick, "bob smith")]
    [InlineData("/join dev", ChatCommandKind.Join, "dev")]
    [InlineData("/join", ChatCommandKind.Join, "")]
    [InlineData("/who", ChatCommandKind.Who, "")]
    [InlineData("/rooms", ChatCommandKind.Rooms, "")]
    [InlineData("/quit", ChatCommandKind.Quit, "")]
    [InlineData("/quit see you", ChatCommandKind.Quit, "see you")]
    [InlineData("/help", ChatCommandKind.Help, "")]
    [InlineData("/help nick", ChatCommandKind.Help, "nick")]
    [InlineData("/dance now", ChatCommandKind.Unknown, "/dance")]
    [InlineData("/NICK bob", ChatCommandKind.Unknown, "/NICK")]
    [InlineData("/nickname bob", ChatCommandKind.Unknown, "/nickname")]
    [InlineData("/nick\tbob", ChatCommandKind.Unknown, "/nick\tbob")]
    [InlineData("/", ChatCommandKind.Unknown, "/")]
    [InlineData("/ x", ChatCommandKind.Unknown, "/")]
    public void Parses(string line, ChatCommandKind kind, string argument)
    {
        ChatCommand command = ChatCommand.Parse(Encoding.UTF8.GetBytes(line));

        Assert.Equal(kind, command.Kind);
        Assert.Equal(argument, Encoding.UTF8.GetString(command.Argument));
    }

    [Fact]
    public void Argument_is_a_slice_of_the_line_not_a_copy()
    {
        byte[] line = Encoding.UTF8.GetBytes("/join dev");

        ChatCommand command = ChatCommand.Parse(line);

        Assert.True(command.Argument.Overlaps(line));
    }

    [Fact]
    public void Message_bytes_are_kept_as_they_are()
    {
        byte[] line = [0xFF, 0xFE, (byte)' ', 0xC3];

        ChatCommand command = ChatCommand.Parse(line);

        Assert.Equal(ChatCommandKind.Message, command.Kind);
        Assert.True(command.Argument.SequenceEqual(line));
    }
}
