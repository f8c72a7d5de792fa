namespace PipeChat.Protocols.Chat;

/// <summary>
/// When a room's reader counts as too slow: more than <see cref="MaxBacklog"/> bytes published for it and not
/// read yet (checked every <see cref="ScanInterval"/> bytes published), or a whole ring of
/// <see cref="MaxRingCapacity"/> lines behind, whatever its reason for not moving.
/// </summary>
internal sealed class BacklogPolicy
{
    private long _nextScan;

    public BacklogPolicy(long maxBacklog, int maxRingCapacity)
    {
        MaxBacklog = maxBacklog;
        MaxRingCapacity = maxRingCapacity;

        // A slow reader is seen at most this late.
        ScanInterval = Math.Clamp(maxBacklog / 16, 1, 64 * 1024);
        _nextScan = ScanInterval;
    }

    public long MaxBacklog { get; }

    public int MaxRingCapacity { get; }

    public long ScanInterval { get; }

    /// <summary>True once per <see cref="ScanInterval"/> bytes: time to check the backlogs. Writer only.</summary>
    public bool ScanDue(long publishedBytes)
    {
        if (publishedBytes < _nextScan)
        {
            return false;
        }

        _nextScan = publishedBytes + ScanInterval;
        return true;
    }

    public bool IsOver(long backlog) => backlog > MaxBacklog;
}
