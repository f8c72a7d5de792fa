using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using PipeChat.Cluster;
using PipeChat.Protocols.Chat;
using PipeChat.Tests.Chat;

namespace PipeChat.Tests.Cluster;

/// <summary>An in-process chat node on a real NATS server: a hub, its bridge, and recording members.</summary>
internal sealed class ClusterNode : IAsyncDisposable
{
    private readonly List<RecordingSink> _sinks = [];

    private ClusterNode(ChatHub hub, NatsChatBridge bridge)
    {
        Hub = hub;
        Bridge = bridge;
    }

    public ChatHub Hub { get; }

    public NatsChatBridge Bridge { get; }

    /// <summary>Short heartbeats so presence and dead nodes settle within a second or two.</summary>
    public static ClusterSettings Settings(string url, string cluster) => new()
    {
        Url = url,
        Name = cluster,
        HeartbeatInterval = TimeSpan.FromMilliseconds(200),
        DeadAfter = TimeSpan.FromSeconds(1),
        NamePool = 16,
    };

    public static async Task<ClusterNode> StartAsync(ClusterSettings settings)
    {
        var hub = new ChatHub(new ChatMessagePool());
        var bridge = await NatsChatBridge.StartAsync(hub, settings, NullLogger.Instance);
        return new ClusterNode(hub, bridge);
    }

    /// <summary>Connects a member; it completes at once while claimed names are at hand, else blocks until one is.</summary>
    public (ChatMember Member, RecordingSink Sink) Connect()
    {
        var sink = NewSink();
        return (JoinAsync(sink).GetAwaiter().GetResult(), sink);
    }

    /// <summary><see cref="Connect"/> without holding a thread while the member waits for its name.</summary>
    public Task<ChatMember> ConnectAsync() => JoinAsync(NewSink());

    // As a session does: when no claimed name is at hand, wait for the bridge's wake-up and ask again.
    private async Task<ChatMember> JoinAsync(RecordingSink sink)
    {
        ChatMember? member;
        while ((member = Hub.TryConnect(sink)) is null)
        {
            int wakes = sink.Wakes;
            await Support.Wait.UntilAsync(() => sink.Wakes > wakes, "the bridge waking a member waiting for its name", TimeSpan.FromSeconds(10));
        }

        sink.Member = member;
        return member;
    }

    private RecordingSink NewSink()
    {
        var sink = new RecordingSink();
        lock (_sinks)
        {
            _sinks.Add(sink);
        }

        return sink;
    }

    public void Say(ChatMember member, string line) => Hub.OnLine(member, Encoding.UTF8.GetBytes(line));

    /// <summary>Stops as the server does: shutdown notice, then the link ends after the drain.</summary>
    public async ValueTask DisposeAsync()
    {
        Hub.BroadcastShutdown();
        await Bridge.DisposeAsync();
        foreach (var sink in _sinks)
        {
            sink.Dispose();
        }
    }
}
