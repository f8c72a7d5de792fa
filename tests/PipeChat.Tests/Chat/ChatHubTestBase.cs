using System.Text;
using PipeChat.Protocols.Chat;

namespace PipeChat.Tests.Chat;

/// <summary>A hub on its own message pool, plus helpers to connect recording members and talk.</summary>
public abstract class ChatHubTestBase
{
    protected ChatHubTestBase() => Hub = new ChatHub(Pool);

    internal ChatMessagePool Pool { get; } = new();

    internal ChatHub Hub { get; }

    internal (ChatMember Member, RecordingSink Sink) Connect(RecordingSink? sink = null)
    {
        sink ??= new RecordingSink();
        return (Hub.Connect(sink), sink);
    }

    /// <summary>Connects members and forgets the welcome/join lines they got, for tests about what follows.</summary>
    internal (ChatMember Member, RecordingSink Sink)[] ConnectQuietly(int count)
    {
        var members = new (ChatMember, RecordingSink)[count];
        for (int i = 0; i < count; i++)
        {
            members[i] = Connect();
        }

        foreach ((_, RecordingSink sink) in members)
        {
            sink.Take();
        }

        return members;
    }

    internal bool Say(ChatMember member, string line) => Hub.OnLine(member, Encoding.UTF8.GetBytes(line));
}
