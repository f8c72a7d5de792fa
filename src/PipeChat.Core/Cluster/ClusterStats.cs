namespace PipeChat.Cluster;

/// <summary>A node's cluster counters (metrics <c>pipechat.cluster.*</c>).</summary>
internal sealed class ClusterStats
{
    private long _linesOut;
    private long _linesIn;
    private long _linesDropped;
    private long _gaps;
    private long _malformed;
    private long _nameConflicts;
    private long _namesNumberedLocally;
    private volatile bool _linked;

    public bool Linked
    {
        get => _linked;
        set => _linked = value;
    }

    /// <summary>Member lines published to the other nodes.</summary>
    public long LinesOut => Interlocked.Read(ref _linesOut);

    /// <summary>Member lines received from other nodes.</summary>
    public long LinesIn => Interlocked.Read(ref _linesIn);

    /// <summary>Member lines not sent to the other nodes: link down, queue full, or a failed publish.</summary>
    public long LinesDropped => Interlocked.Read(ref _linesDropped);

    /// <summary>Frames from other nodes that never arrived (gaps in their sequence numbers).</summary>
    public long Gaps => Interlocked.Read(ref _gaps);

    /// <summary>Frames from the NATS subject that did not decode (dropped).</summary>
    public long Malformed => Interlocked.Read(ref _malformed);

    /// <summary>Names found held by another node when this node claimed them again after an outage.</summary>
    public long NameConflicts => Interlocked.Read(ref _nameConflicts);

    /// <summary>Members numbered on this node alone, with the link up, because no claimed name was at hand (after the claim wait).</summary>
    public long NamesNumberedLocally => Interlocked.Read(ref _namesNumberedLocally);

    public void LineOut() => Interlocked.Increment(ref _linesOut);

    public void LineIn() => Interlocked.Increment(ref _linesIn);

    public void Dropped() => Interlocked.Increment(ref _linesDropped);

    public void Gap(long frames) => Interlocked.Add(ref _gaps, frames);

    public void MalformedFrame() => Interlocked.Increment(ref _malformed);

    public void NameConflict() => Interlocked.Increment(ref _nameConflicts);

    public void NameNumberedLocally() => Interlocked.Increment(ref _namesNumberedLocally);
}
