namespace PipeChat.Protocols;

/// <summary>Something that can be woken (a room's sleeping readers, a writer thread); waking must never block.</summary>
internal interface IWakeable
{
    void Wake();
}
