namespace PipeChat.Protocols.Chat;

/// <summary>An entry of a <see cref="BroadcastRing{T, TReader}"/>; the ring holds one reference to it.</summary>
internal interface IRingItem
{
    /// <summary>The ring lets go of the entry (its slot is reused, the ring shrinks or closes).</summary>
    void Release();
}
