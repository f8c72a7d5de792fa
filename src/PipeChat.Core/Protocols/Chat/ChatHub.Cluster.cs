using System.Text;

namespace PipeChat.Protocols.Chat;

/// <summary>
/// The hub's side of a cluster (docs/cluster.md): what it hands its <see cref="IChatBridge"/> and what it
/// does with the other nodes' events. Remote events come from one thread at a time (the bridge's reader),
/// in each node's order.
/// </summary>
public sealed partial class ChatHub
{
    /// <summary>How long a member's input waits before its lines are looked at again while its /nick is being claimed.</summary>
    internal static readonly TimeSpan ClaimPoll = TimeSpan.FromMilliseconds(2);

    private readonly ClusterPresence _remote = new();
    private IChatBridge? _bridge;

    // Set under the hub lock with the notice, so a member arriving during an outage hears it too, once.
    private bool _clusterUnavailable;

    /// <summary>Members on other nodes of the cluster, as last heard.</summary>
    internal int RemoteMemberCount
    {
        get
        {
            lock (_lock)
            {
                return _remote.Count;
            }
        }
    }

    /// <summary>Joins the hub to a cluster: from now on it reports to <paramref name="bridge"/> and claims names through it.</summary>
    internal void AttachBridge(IChatBridge bridge)
    {
        ArgumentNullException.ThrowIfNull(bridge);
        lock (_lock)
        {
            if (_bridge is not null || _members.Count > 0)
            {
                throw new InvalidOperationException("Attach the bridge once, before the first member connects.");
            }

            _bridge = bridge;
        }
    }

    /// <summary>
    /// The answer to a claim started by /nick: renames the member (the room hears it on every node) or tells
    /// it the name is taken. Its input, held while the claim was pending, is read again.
    /// </summary>
    internal void CompleteRename(ChatMember member, string name, byte[] nameBytes, bool granted)
    {
        ArgumentNullException.ThrowIfNull(member);
        List<ChatMember>? refused = null;
        lock (_lock)
        {
            member.ClaimPending = false;
            if (member.HasLeft || _shuttingDown)
            {
                if (granted)
                {
                    _bridge?.Release(name);
                }

                return;
            }

            if (!granted || (_members.TryGetValue(name, out ChatMember? holder) && holder != member))
            {
                TellLocked(member, ChatMessage.Compose(_pool, "! name "u8, nameBytes, " is taken"u8), ref refused);
            }
            else
            {
                string oldName = member.Name;
                RenameLocked(member, name, nameBytes, ref refused);
                _bridge?.Release(oldName);
            }
        }

        CutOff(refused);
        member.Sink.Wake();
    }

    /// <summary>
    /// A name this node gave while the cluster was unavailable is held by another node: the member holding it
    /// here hears why and takes <paramref name="newName"/> (already claimed for it), with the notices of a
    /// /nick. False, and nothing changes, when no member here holds <paramref name="name"/> any more.
    /// </summary>
    internal bool RenameConflicting(string name, string newName)
    {
        List<ChatMember>? refused = null;
        ChatMember? member;
        lock (_lock)
        {
            if (_shuttingDown || !_members.TryGetValue(name, out member) || member.HasLeft || _members.ContainsKey(newName))
            {
                return false;
            }

            TellLocked(member, ChatMessage.Compose(_pool, "* name "u8, member.NameBytes, " is held on another node"u8), ref refused);
            RenameLocked(member, newName, Encoding.ASCII.GetBytes(newName), ref refused);
        }

        CutOff(refused);
        member.Sink.Wake();
        return true;
    }

    /// <summary>A member's line on another node: published once into the local room's ring, if the room has members here.</summary>
    internal void RemoteLine(string room, ReadOnlySpan<byte> name, ReadOnlySpan<byte> text)
    {
        ChatRoom? target;
        lock (_lock)
        {
            if (_shuttingDown || !_rooms.TryGetValue(room, out target))
            {
                return;
            }
        }

        List<ChatMember>? slow = null;
        ChatMessage message = ChatMessage.FromMember(_pool, name, text);
        target.Ring.Publish(message, null, ref slow);
        message.Release();
        CutOff(slow);
    }

    /// <summary>A member of <paramref name="node"/> entered <paramref name="room"/>.</summary>
    internal void RemoteJoined(ulong node, string room, string name)
    {
        List<ChatMember>? refused = null;
        lock (_lock)
        {
            _remote.Set(node, room, name);
            NotifyLocalRoomLocked(room, ref refused, "* "u8, Encoding.ASCII.GetBytes(name), " joined"u8);
        }

        CutOff(refused);
    }

    /// <summary>A member of <paramref name="node"/> left <paramref name="room"/>.</summary>
    internal void RemoteLeft(ulong node, string room, string name, bool tooSlow)
    {
        List<ChatMember>? refused = null;
        lock (_lock)
        {
            _remote.Remove(node, name);
            NotifyLocalRoomLocked(room, ref refused, "* "u8, Encoding.ASCII.GetBytes(name), tooSlow ? " left (too slow)"u8 : " left"u8);
        }

        CutOff(refused);
    }

    /// <summary>A member of <paramref name="node"/> in <paramref name="room"/> changed its name.</summary>
    internal void RemoteRenamed(ulong node, string room, string oldName, string newName)
    {
        List<ChatMember>? refused = null;
        lock (_lock)
        {
            _remote.Remove(node, oldName);
            _remote.Set(node, room, newName);
            NotifyLocalRoomLocked(room, ref refused, "* "u8, Encoding.ASCII.GetBytes(oldName), " is now "u8, Encoding.ASCII.GetBytes(newName));
        }

        CutOff(refused);
    }

    /// <summary>Everything <paramref name="node"/> has, as its periodic snapshot says (no notices: a resync).</summary>
    internal void RemoteSnapshot(ulong node, IReadOnlyList<(string Room, string Name)> members)
    {
        lock (_lock)
        {
            _remote.Replace(node, members);
        }
    }

    /// <summary>True when <paramref name="node"/> is known (has sent a snapshot or an event since the last reset).</summary>
    internal bool KnowsNode(ulong node)
    {
        lock (_lock)
        {
            return _remote.HasNode(node);
        }
    }

    /// <summary>
    /// <paramref name="node"/> stopped (gracefully or found dead): each room hears <c>* NAME left</c> for each of
    /// its members here. Returns how many there were.
    /// </summary>
    internal int RemoteNodeGone(ulong node)
    {
        List<ChatMember>? refused = null;
        int count;
        lock (_lock)
        {
            var members = _remote.RemoveNode(node);
            count = members.Count;
            foreach (ClusterPresence.RemoteMember gone in members)
            {
                NotifyLocalRoomLocked(gone.Room, ref refused, "* "u8, Encoding.ASCII.GetBytes(gone.Name), " left"u8);
            }
        }

        CutOff(refused);
        return count;
    }

    /// <summary>The link is down: every member hears <c>* cluster unavailable</c>; the other nodes' members are forgotten until it is back.</summary>
    internal void ClusterUnavailable() => TellEveryone("* cluster unavailable"u8, unavailable: true);

    /// <summary>The link is back: every member hears <c>* cluster restored</c>.</summary>
    internal void ClusterRestored() => TellEveryone("* cluster restored"u8, unavailable: false);

    /// <summary>Who is in which room here, for the snapshot this node sends.</summary>
    internal List<(string Room, string Name)> LocalPresence()
    {
        lock (_lock)
        {
            return LocalPresenceLocked();
        }
    }

    /// <summary>Names held by members of this node (to claim again after an outage).</summary>
    internal List<string> LocalNames()
    {
        lock (_lock)
        {
            return [.. _members.Keys];
        }
    }

    /// <summary>Hands the bridge the local snapshot under the hub lock, so it is ordered with the membership events.</summary>
    internal void PublishPresence(Action<List<(string Room, string Name)>> publish)
    {
        lock (_lock)
        {
            publish(LocalPresenceLocked());
        }
    }

    private List<(string Room, string Name)> LocalPresenceLocked()
    {
        var members = new List<(string Room, string Name)>(_members.Count);
        if (_shuttingDown)
        {
            return members;
        }

        foreach (ChatMember member in _members.Values)
        {
            if (member.Seat is ChatSeat seat)
            {
                members.Add((seat.Room.Name, member.Name));
            }
        }

        return members;
    }

    private void TellEveryone(ReadOnlySpan<byte> text, bool unavailable)
    {
        List<ChatMember>? refused = null;
        lock (_lock)
        {
            _clusterUnavailable = unavailable;
            if (unavailable)
            {
                _remote.Clear(); // The other nodes' members are forgotten until the link is back.
            }

            if (_shuttingDown)
            {
                return;
            }

            ChatMessage notice = ChatMessage.Compose(_pool, text);
            foreach (ChatMember member in _members.Values)
            {
                notice.AddRef();
                TellLocked(member, notice, ref refused);
            }

            notice.Release();
        }

        CutOff(refused);
    }

    /// <summary>A member welcomed while the link is down hears so, as those already here did.</summary>
    private void TellIfClusterUnavailableLocked(ChatMember member, ref List<ChatMember>? refused)
    {
        if (_clusterUnavailable)
        {
            TellLocked(member, ChatMessage.Compose(_pool, "* cluster unavailable"u8), ref refused);
        }
    }

    private void NotifyLocalRoomLocked(string room, ref List<ChatMember>? refused, ReadOnlySpan<byte> part0, ReadOnlySpan<byte> part1, ReadOnlySpan<byte> part2, ReadOnlySpan<byte> part3 = default)
    {
        if (!_shuttingDown && _rooms.TryGetValue(room, out ChatRoom? local))
        {
            NotifyRoomLocked(local, null, ref refused, part0, part1, part2, part3);
        }
    }

    private void RenameLocked(ChatMember member, string name, byte[] nameBytes, ref List<ChatMember>? refused)
    {
        byte[] oldName = member.NameBytes;
        string oldString = member.Name;
        _members.Remove(member.Name);
        _members.Add(name, member);
        member.Rename(name, nameBytes);
        TellLocked(member, ChatMessage.Compose(_pool, "* you are now "u8, nameBytes), ref refused);
        if (member.Seat is ChatSeat seat)
        {
            NotifyRoomLocked(seat.Room, member, ref refused, "* "u8, oldName, " is now "u8, nameBytes);
            _bridge?.Renamed(seat.Room.Name, oldString, name);
        }
    }
}
