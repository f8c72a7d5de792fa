namespace PipeChat.Protocols.Chat;

/// <summary>
/// Who is in which room on the other nodes of a cluster, by node. Kept by the hub under its lock; filled
/// from the nodes' membership events and replaced wholesale by their periodic snapshots.
/// </summary>
internal sealed class ClusterPresence
{
    private readonly Dictionary<ulong, Dictionary<string, RemoteMember>> _nodes = [];
    private readonly Dictionary<string, ulong> _owners = new(ChatNames.Comparer);

    /// <summary>Members on other nodes.</summary>
    public int Count => _owners.Count;

    /// <summary>Nodes with members (or an empty snapshot) known.</summary>
    public int NodeCount => _nodes.Count;

    /// <summary>True when another node has a member of this name (ignoring case).</summary>
    public bool Contains(string name) => _owners.ContainsKey(name);

    public bool HasNode(ulong node) => _nodes.ContainsKey(node);

    /// <summary>Records <paramref name="name"/> in <paramref name="room"/> on <paramref name="node"/> (moving it if known).</summary>
    public void Set(ulong node, string room, string name)
    {
        if (_owners.TryGetValue(name, out ulong owner) && owner != node)
        {
            // The name moved nodes (its old holder left and its leave has not arrived yet): the newest wins.
            _nodes[owner].Remove(name);
        }

        Members(node)[name] = new RemoteMember(name, room);
        _owners[name] = node;
    }

    /// <summary>Forgets <paramref name="name"/> on <paramref name="node"/>; returns its room, or null if unknown.</summary>
    public string? Remove(ulong node, string name)
    {
        if (_nodes.TryGetValue(node, out var members) && members.Remove(name, out RemoteMember gone))
        {
            _owners.Remove(name);
            return gone.Room;
        }

        return null;
    }

    /// <summary>Replaces what is known of <paramref name="node"/> with a snapshot.</summary>
    public void Replace(ulong node, IReadOnlyList<(string Room, string Name)> snapshot)
    {
        RemoveNode(node);
        Members(node);
        foreach ((string room, string name) in snapshot)
        {
            Set(node, room, name);
        }
    }

    /// <summary>Forgets a node; returns its members (room, name).</summary>
    public List<RemoteMember> RemoveNode(ulong node)
    {
        if (!_nodes.Remove(node, out var members))
        {
            return [];
        }

        foreach (string name in members.Keys)
        {
            _owners.Remove(name);
        }

        return [.. members.Values];
    }

    /// <summary>Forgets every node.</summary>
    public void Clear()
    {
        _nodes.Clear();
        _owners.Clear();
    }

    /// <summary>Names of the members of <paramref name="room"/> on other nodes.</summary>
    public void AddNamesIn(string room, List<string> names)
    {
        foreach (var members in _nodes.Values)
        {
            foreach (RemoteMember member in members.Values)
            {
                if (ChatNames.Comparer.Equals(member.Room, room))
                {
                    names.Add(member.Name);
                }
            }
        }
    }

    /// <summary>Adds the members of each room on other nodes to <paramref name="counts"/>.</summary>
    public void AddRoomCounts(Dictionary<string, int> counts)
    {
        foreach (var members in _nodes.Values)
        {
            foreach (RemoteMember member in members.Values)
            {
                counts[member.Room] = counts.GetValueOrDefault(member.Room) + 1;
            }
        }
    }

    private Dictionary<string, RemoteMember> Members(ulong node)
    {
        if (!_nodes.TryGetValue(node, out var members))
        {
            members = new Dictionary<string, RemoteMember>(ChatNames.Comparer);
            _nodes.Add(node, members);
        }

        return members;
    }

    /// <summary>A member of another node.</summary>
    internal readonly record struct RemoteMember(string Name, string Room);
}
