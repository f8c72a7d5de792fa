using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using PipeChat.Protocols.Chat;

namespace PipeChat.Cluster;

/// <summary>
/// The binary frames nodes exchange (docs/cluster.md): kind (1 byte), origin node (8), sequence (8, set when
/// sent), then length-prefixed ASCII names (1-byte length) and, for a line, the text to the end. Encoded into
/// pooled arrays; decoding checks every length and name, since the bytes come from the network.
/// </summary>
internal static class ClusterFrame
{
    public const int HeaderLength = 17;
    public const int SequenceOffset = 9;

    /// <summary>An encoded frame in a pooled array (<see cref="Return"/> it once sent).</summary>
    internal readonly record struct Encoded(byte[] Buffer, int Length, ClusterFrameKind Kind)
    {
        public ReadOnlyMemory<byte> Memory => new(Buffer, 0, Length);

        public void Return() => ArrayPool<byte>.Shared.Return(Buffer);
    }

    public static Encoded Line(ulong node, string room, ReadOnlySpan<byte> name, ReadOnlySpan<byte> text)
    {
        var buffer = Rent(node, ClusterFrameKind.Line, 2 + room.Length + name.Length + text.Length, out int at);
        at = PutName(buffer, at, room);
        at = PutName(buffer, at, name);
        text.CopyTo(buffer.AsSpan(at));
        return new Encoded(buffer, at + text.Length, ClusterFrameKind.Line);
    }

    public static Encoded Names(ulong node, ClusterFrameKind kind, string room, string name, string? other = null)
    {
        var buffer = Rent(node, kind, 3 + room.Length + name.Length + (other?.Length ?? 0), out int at);
        at = PutName(buffer, at, room);
        at = PutName(buffer, at, name);
        if (other is not null)
        {
            at = PutName(buffer, at, other);
        }

        return new Encoded(buffer, at, kind);
    }

    public static Encoded Snapshot(ulong node, List<(string Room, string Name)> members)
    {
        int size = 4;
        foreach ((string room, string name) in members)
        {
            size += 2 + room.Length + name.Length;
        }

        var buffer = Rent(node, ClusterFrameKind.Snapshot, size, out int at);
        BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(at), members.Count);
        at += 4;
        foreach ((string room, string name) in members)
        {
            at = PutName(buffer, at, room);
            at = PutName(buffer, at, name);
        }

        return new Encoded(buffer, at, ClusterFrameKind.Snapshot);
    }

    public static Encoded Bye(ulong node)
    {
        var buffer = Rent(node, ClusterFrameKind.Bye, 0, out int at);
        return new Encoded(buffer, at, ClusterFrameKind.Bye);
    }

    /// <summary>Reads the header; false for a frame too short or of an unknown kind.</summary>
    public static bool TryReadHeader(ReadOnlySpan<byte> frame, out ClusterFrameKind kind, out ulong node, out ulong sequence)
    {
        kind = default;
        node = sequence = 0;
        if (frame.Length < HeaderLength || frame[0] is < (byte)ClusterFrameKind.Line or > (byte)ClusterFrameKind.Bye)
        {
            return false;
        }

        kind = (ClusterFrameKind)frame[0];
        node = BinaryPrimitives.ReadUInt64LittleEndian(frame[1..]);
        sequence = BinaryPrimitives.ReadUInt64LittleEndian(frame[SequenceOffset..]);
        return true;
    }

    /// <summary>Reads a valid chat name at <paramref name="at"/>; false if the frame ends or the name is not valid.</summary>
    public static bool TryReadName(ReadOnlySpan<byte> frame, ref int at, out ReadOnlySpan<byte> name)
    {
        name = default;
        if (at >= frame.Length || frame[at] > frame.Length - at - 1)
        {
            return false;
        }

        name = frame.Slice(at + 1, frame[at]);
        at += 1 + name.Length;
        return ChatNames.IsValid(name);
    }

    public static bool TryReadName(ReadOnlySpan<byte> frame, ref int at, out string name)
    {
        bool ok = TryReadName(frame, ref at, out ReadOnlySpan<byte> bytes);
        name = ok ? Encoding.ASCII.GetString(bytes) : string.Empty;
        return ok;
    }

    /// <summary>Reads a snapshot's members; false if anything in it is malformed.</summary>
    public static bool TryReadSnapshot(ReadOnlySpan<byte> frame, out List<(string Room, string Name)> members)
    {
        members = [];
        int at = HeaderLength;
        if (frame.Length < at + 4)
        {
            return false;
        }

        int count = BinaryPrimitives.ReadInt32LittleEndian(frame[at..]);
        at += 4;
        if (count < 0 || count > (frame.Length - at) / 4)
        {
            return false;
        }

        for (int i = 0; i < count; i++)
        {
            if (!TryReadName(frame, ref at, out string room) || !TryReadName(frame, ref at, out string name))
            {
                return false;
            }

            members.Add((room, name));
        }

        return true;
    }

    private static byte[] Rent(ulong node, ClusterFrameKind kind, int body, out int at)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(HeaderLength + body);
        buffer[0] = (byte)kind;
        BinaryPrimitives.WriteUInt64LittleEndian(buffer.AsSpan(1), node);
        BinaryPrimitives.WriteUInt64LittleEndian(buffer.AsSpan(SequenceOffset), 0);
        at = HeaderLength;
        return buffer;
    }

    private static int PutName(byte[] buffer, int at, string name)
    {
        buffer[at] = checked((byte)name.Length);
        return 1 + at + Encoding.ASCII.GetBytes(name, buffer.AsSpan(at + 1));
    }

    private static int PutName(byte[] buffer, int at, ReadOnlySpan<byte> name)
    {
        buffer[at] = checked((byte)name.Length);
        name.CopyTo(buffer.AsSpan(at + 1));
        return 1 + at + name.Length;
    }
}
