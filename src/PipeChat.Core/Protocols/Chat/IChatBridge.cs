namespace PipeChat.Protocols.Chat;

/// <summary>
/// What a <see cref="ChatHub"/> tells the other nodes of its cluster (docs/cluster.md), and how it claims
/// names across them. The hub stays sans-I/O: every call only queues work and returns at once (membership
/// events are called under the hub lock, so their order is the hub's order); the answer to a claim comes
/// back later through <see cref="ChatHub.CompleteRename"/>. Remote events come in through the hub's
/// <c>Remote*</c> methods.
/// </summary>
internal interface IChatBridge
{
    /// <summary>True while the link to the other nodes is up.</summary>
    bool IsLinked { get; }

    /// <summary>
    /// A <c>userN</c> name this node has already claimed across the cluster, for a new member. Never blocks
    /// and is never called under the hub lock. When none is at hand and <paramref name="waiter"/> is given,
    /// <paramref name="wait"/> may say to ask again later: the bridge then wakes the waiter
    /// (<see cref="IChatMemberSink.Wake"/>) once a name may be at hand, the link went down or the wait is
    /// over. False with <paramref name="wait"/> false: none to be had (link down, or waited long enough),
    /// and the hub numbers locally.
    /// </summary>
    bool TryTakeUserName(IChatMemberSink? waiter, out string name, out bool wait);

    /// <summary>
    /// Claims <paramref name="name"/> for <paramref name="member"/> across the cluster; the answer comes back
    /// through <see cref="ChatHub.CompleteRename"/>, never from within this call.
    /// </summary>
    void Claim(ChatMember member, string name, byte[] nameBytes);

    /// <summary>The name is no longer held on this node.</summary>
    void Release(string name);

    /// <summary>A member's line in <paramref name="room"/>, to be relayed to the room on the other nodes.</summary>
    void Line(string room, ReadOnlySpan<byte> name, ReadOnlySpan<byte> text);

    /// <summary>A member entered <paramref name="room"/> (connect or /join).</summary>
    void Joined(string room, string name);

    /// <summary>A member left <paramref name="room"/> (leave or /join elsewhere).</summary>
    void Left(string room, string name, bool tooSlow);

    /// <summary>A member in <paramref name="room"/> changed its name.</summary>
    void Renamed(string room, string oldName, string newName);

    /// <summary>The node is shutting down: the other nodes should announce its members as left now.</summary>
    void Stopping();
}
