namespace PipeChat.Cluster;

/// <summary>What a frame between nodes carries (docs/cluster.md, "wire format").</summary>
internal enum ClusterFrameKind : byte
{
    Line = 1,
    Joined = 2,
    Left = 3,
    LeftTooSlow = 4,
    Renamed = 5,
    Snapshot = 6,
    Bye = 7,
}
