namespace PipeChat.Protocols;

/// <summary>A session with deadlines (idle, unfinished line) that the sweeper checks.</summary>
internal interface ISweptSession
{
    /// <summary>Acts on any deadline passed at <paramref name="now"/> (a timestamp of the sweeper's clock).</summary>
    void Sweep(long now);
}
