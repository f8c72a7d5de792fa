namespace PipeChat.Protocols.Chat;

/// <summary>One reader's position in a <see cref="BroadcastRing{T, TReader}"/> (Disruptor's Sequence).</summary>
internal class RingReader
{
    /// <summary>Next sequence to read; advanced only by the reader.</summary>
    internal long Cursor;

    /// <summary>Set under the writer's lock once this reader was reported as too slow, so it is reported once.</summary>
    internal bool ReportedSlow;
}
