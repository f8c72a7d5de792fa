using PipeChat.Protocols.Chat;

namespace PipeChat.Tests.Cluster;

/// <summary>
/// An in-memory <see cref="IChatBridge"/>: what the hub hands it is queued as text, and <see cref="Pump"/> plays
/// it into the other hubs of the same <see cref="FakeCluster"/>, as a NATS server would. Claims are answered by
/// the cluster's name table when the test says (<see cref="AnswerClaims"/>).
/// </summary>
internal sealed class FakeBridge(FakeCluster cluster, ulong node) : IChatBridge
{
    private readonly Queue<Action<ChatHub, ulong>> _events = new();
    private readonly Queue<(ChatMember Member, string Name, byte[] Bytes)> _claims = new();
    private int _nextUser;

    public ChatHub Hub { get; set; } = null!;

    public ulong Node => node;

    public bool IsLinked { get; set; } = true;

    public int LinesOut { get; private set; }

    public List<string> Released { get; } = [];

    /// <summary>
    /// While true, a member that may wait gets no name yet (as with the NATS pool empty): it waits, and keeps
    /// waiting until <see cref="GiveNames"/> even after this is turned off.
    /// </summary>
    public bool WithholdNames { get; set; }

    public List<IChatMemberSink> Waiters { get; } = [];

    public bool TryTakeUserName(IChatMemberSink? waiter, out string name, out bool wait)
    {
        wait = false;
        if (IsLinked && waiter is not null)
        {
            lock (Waiters)
            {
                // A member that started waiting keeps waiting until GiveNames.
                if (WithholdNames || Waiters.Contains(waiter))
                {
                    Waiters.Add(waiter);
                    name = string.Empty;
                    wait = true;
                    return false;
                }
            }
        }

        // Node-unique numbers, claimed in the shared table like the NATS pool does.
        while (true)
        {
            name = $"user{node}{++_nextUser}";
            if (!IsLinked)
            {
                return false;
            }

            if (cluster.TryClaim(name, node))
            {
                return true;
            }
        }
    }

    /// <summary>Names are at hand again: every waiting member is woken to ask again.</summary>
    public void GiveNames()
    {
        WithholdNames = false;
        IChatMemberSink[] waiting;
        lock (Waiters)
        {
            waiting = [.. Waiters];
            Waiters.Clear();
        }

        foreach (var waiter in waiting)
        {
            waiter.Wake();
        }
    }

    public void Claim(ChatMember member, string name, byte[] nameBytes)
    {
        lock (_claims)
        {
            _claims.Enqueue((member, name, nameBytes));
        }
    }

    public void Release(string name)
    {
        Released.Add(name);
        cluster.Free(name, node);
    }

    public void Line(string room, ReadOnlySpan<byte> name, ReadOnlySpan<byte> text)
    {
        if (!IsLinked)
        {
            return;
        }

        LinesOut++;
        byte[] n = name.ToArray(), t = text.ToArray();
        Enqueue((hub, _) => hub.RemoteLine(room, n, t));
    }

    public void Joined(string room, string name) => Enqueue((hub, from) => hub.RemoteJoined(from, room, name));

    public void Left(string room, string name, bool tooSlow) => Enqueue((hub, from) => hub.RemoteLeft(from, room, name, tooSlow));

    public void Renamed(string room, string oldName, string newName) => Enqueue((hub, from) => hub.RemoteRenamed(from, room, oldName, newName));

    public void Stopping() => Enqueue((hub, from) => hub.RemoteNodeGone(from));

    /// <summary>Sends the hub's presence snapshot, as the heartbeat does.</summary>
    public void Heartbeat() => Hub.PublishPresence(members => Enqueue((hub, from) => hub.RemoteSnapshot(from, members)));

    /// <summary>Answers the queued claims from the cluster's name table (a case-insensitive create).</summary>
    public void AnswerClaims()
    {
        while (true)
        {
            (ChatMember Member, string Name, byte[] Bytes) claim;
            lock (_claims)
            {
                if (!_claims.TryDequeue(out claim))
                {
                    return;
                }
            }

            Hub.CompleteRename(claim.Member, claim.Name, claim.Bytes, !IsLinked || cluster.TryClaim(claim.Name, node));
        }
    }

    public int PendingClaims
    {
        get
        {
            lock (_claims)
            {
                return _claims.Count;
            }
        }
    }

    /// <summary>Delivers everything queued to every other hub, in order; returns how many events went.</summary>
    public int Pump()
    {
        int count = 0;
        while (true)
        {
            Action<ChatHub, ulong>? next;
            lock (_events)
            {
                if (!_events.TryDequeue(out next))
                {
                    return count;
                }
            }

            count++;
            foreach (FakeBridge other in cluster.Bridges)
            {
                if (other != this && other.IsLinked)
                {
                    next(other.Hub, node);
                }
            }
        }
    }

    private void Enqueue(Action<ChatHub, ulong> deliver)
    {
        if (!IsLinked)
        {
            return;
        }

        lock (_events)
        {
            _events.Enqueue(deliver);
        }
    }

    public override string ToString() => $"node {node}";
}
