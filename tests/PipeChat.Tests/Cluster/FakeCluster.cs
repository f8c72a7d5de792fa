using PipeChat.Protocols.Chat;

namespace PipeChat.Tests.Cluster;

/// <summary>Several hubs joined by <see cref="FakeBridge"/>s, with one shared table of claimed names.</summary>
internal sealed class FakeCluster
{
    private readonly Dictionary<string, ulong> _names = new(StringComparer.OrdinalIgnoreCase);

    public List<FakeBridge> Bridges { get; } = [];

    public ChatHub AddNode(ChatMessagePool pool)
    {
        var bridge = new FakeBridge(this, (ulong)Bridges.Count + 1);
        var hub = new ChatHub(pool);
        bridge.Hub = hub;
        hub.AttachBridge(bridge);
        Bridges.Add(bridge);
        return hub;
    }

    public FakeBridge BridgeOf(ChatHub hub) => Bridges.Single(b => b.Hub == hub);

    /// <summary>Delivers every node's queued events until nothing is left.</summary>
    public void Pump()
    {
        while (Bridges.Sum(b => b.Pump()) > 0)
        {
        }
    }

    public bool TryClaim(string name, ulong node)
    {
        lock (_names)
        {
            return _names.TryAdd(name, node);
        }
    }

    public void Free(string name, ulong node)
    {
        lock (_names)
        {
            if (_names.TryGetValue(name, out ulong owner) && owner == node)
            {
                _names.Remove(name);
            }
        }
    }

    public bool IsClaimed(string name)
    {
        lock (_names)
        {
            return _names.ContainsKey(name);
        }
    }
}
