using System.Text;
using PipeChat.Cluster;

namespace PipeChat.Tests.Cluster;

/// <summary>The frames between nodes: they round-trip, and whatever arrives on the subject never throws.</summary>
public sealed class ClusterFrameTests
{
    [Fact]
    public void A_line_round_trips()
    {
        var frame = ClusterFrame.Line(42, "lobby", "alice"u8, "hello\u00e9 world"u8);
        try
        {
            ReadOnlySpan<byte> bytes = frame.Memory.Span;
            Assert.True(ClusterFrame.TryReadHeader(bytes, out var kind, out ulong node, out _));
            Assert.Equal(ClusterFrameKind.Line, kind);
            Assert.Equal(42UL, node);
            int at = ClusterFrame.HeaderLength;
            Assert.True(ClusterFrame.TryReadName(bytes, ref at, out string room));
            Assert.True(ClusterFrame.TryReadName(bytes, ref at, out ReadOnlySpan<byte> name));
            Assert.Equal("lobby", room);
            Assert.Equal("alice", Encoding.ASCII.GetString(name));
            Assert.Equal("hello\u00e9 world", Encoding.UTF8.GetString(bytes[at..]));
        }
        finally
        {
            frame.Return();
        }
    }

    [Fact]
    public void A_snapshot_round_trips()
    {
        List<(string Room, string Name)> members = [("lobby", "a"), ("dev", "B.c-d_e")];
        var frame = ClusterFrame.Snapshot(7, members);
        try
        {
            Assert.True(ClusterFrame.TryReadSnapshot(frame.Memory.Span, out var read));
            Assert.Equal(members, read);
        }
        finally
        {
            frame.Return();
        }
    }

    [Fact]
    public void Every_cut_and_every_corrupted_byte_of_a_frame_is_read_or_refused_never_thrown()
    {
        var frames = new[]
        {
            ClusterFrame.Line(1, "lobby", "alice"u8, "text"u8),
            ClusterFrame.Names(1, ClusterFrameKind.Renamed, "lobby", "old", "new"),
            ClusterFrame.Snapshot(1, [("lobby", "alice"), ("dev", "bob")]),
            ClusterFrame.Bye(1),
        };
        foreach (var frame in frames)
        {
            byte[] whole = frame.Memory.ToArray();
            frame.Return();
            for (int cut = 0; cut <= whole.Length; cut++)
            {
                Read(whole.AsSpan(0, cut));
            }

            for (int i = 0; i < whole.Length; i++)
            {
                foreach (byte value in new byte[] { 0, 1, 0x7f, 0x80, 0xff, (byte)' ' })
                {
                    byte[] corrupted = (byte[])whole.Clone();
                    corrupted[i] = value;
                    Read(corrupted);
                }
            }
        }
    }

    [Fact]
    public void Names_that_are_not_chat_names_and_absurd_counts_are_refused()
    {
        byte[] header = new byte[ClusterFrame.HeaderLength];
        header[0] = (byte)ClusterFrameKind.Joined;
        byte[] badName = [.. header, 5, (byte)'l', (byte)'o', (byte)'b', (byte)'b', (byte)'y', 3, (byte)'a', (byte)' ', (byte)'b'];
        int at = ClusterFrame.HeaderLength;
        Assert.True(ClusterFrame.TryReadName(badName, ref at, out string _));
        Assert.False(ClusterFrame.TryReadName(badName, ref at, out string _));

        byte[] snapshot = [.. header, 0xff, 0xff, 0xff, 0x7f];
        snapshot[0] = (byte)ClusterFrameKind.Snapshot;
        Assert.False(ClusterFrame.TryReadSnapshot(snapshot, out _));
        Assert.False(ClusterFrame.TryReadHeader([9, .. header[1..]], out _, out _, out _));
    }

    private static void Read(ReadOnlySpan<byte> bytes)
    {
        if (!ClusterFrame.TryReadHeader(bytes, out var kind, out _, out _))
        {
            return;
        }

        if (kind == ClusterFrameKind.Snapshot)
        {
            ClusterFrame.TryReadSnapshot(bytes, out _);
            return;
        }

        int at = ClusterFrame.HeaderLength;
        while (ClusterFrame.TryReadName(bytes, ref at, out string _))
        {
        }
    }
}
