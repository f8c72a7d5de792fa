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

    public (ChatMember Member, RecordingSink Sink) Connect()
    {
        var sink = new RecordingSink();
        lock (_sinks)
        {
            _sinks.Add(sink);
        }

        // As a session does: when no claimed name is at hand, wait for the bridge's wake-up and ask again.
        ChatMember? member;
        while ((member = Hub.TryConnect(sink)) is null)
        {
            int wakes = sink.Wakes;
            if (!SpinWait.SpinUntil(() => sink.Wakes > wakes, TimeSpan.FromSeconds(10)))
            {
                throw new TimeoutException("the bridge never woke a member waiting for its name");
            }
        }

        sink.Member = member;
        return (member, sink);
    }

    /// <summary><see cref="Connect"/> without holding a thread while the member waits for its name.</summary>
    public async Task<ChatMember> ConnectAsync()
    {
        var sink = new RecordingSink();
        lock (_sinks)
        {
            _sinks.Add(sink);
        }

        ChatMember? member;
        while ((member = Hub.TryConnect(sink)) is null)
        {
            int wakes = sink.Wakes;
            await Support.Wait.UntilAsync(() => sink.Wakes > wakes, "the bridge waking a member waiting for its name", TimeSpan.FromSeconds(10));
        }

        sink.Member = member;
        return member;
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
