using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PipeChat.Protocols.Chat;

namespace PipeChat.Tests.Chat;

/// <summary>A hub on its own message pool, plus helpers to connect recording members and talk.</summary>
public abstract class ChatHubTestBase : IDisposable
{
    private readonly List<RecordingSink> _sinks = [];

    protected ChatHubTestBase(long maxPendingOutput = 1024 * 1024, WakeCoalescing wakeCoalescing = default, ILogger? logger = null, TimeProvider? time = null, IWakeScheduler? wakeScheduler = null) =>
        Hub = new ChatHub(Pool, maxPendingOutput)
        {
            WakeCoalescing = wakeCoalescing,
            WakeScheduler = wakeScheduler ?? PipeChat.Transport.PreciseWakeScheduler.Shared,
            Logger = logger ?? NullLogger.Instance,
            TimeProvider = time ?? TimeProvider.System,
        };

    internal ChatMessagePool Pool { get; } = new();

    internal ChatHub Hub { get; }

    internal (ChatMember Member, RecordingSink Sink) Connect(RecordingSink? sink = null)
    {
        sink ??= new RecordingSink();
        _sinks.Add(sink);
        ChatMember member = Hub.Connect(sink);
        sink.Member = member;
        return (member, sink);
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

    /// <summary>Every member leaves; afterwards no message may still be rented from <see cref="Pool"/>.</summary>
    internal void DisconnectAll()
    {
        foreach (RecordingSink sink in _sinks)
        {
            if (sink.Member is { } member)
            {
                Hub.Disconnect(member, discardOutput: true);
                member.DiscardOutput();
            }
        }
    }

    public void Dispose()
    {
        foreach (RecordingSink sink in _sinks)
        {
            sink.Dispose();
        }

        GC.SuppressFinalize(this);
    }
}
