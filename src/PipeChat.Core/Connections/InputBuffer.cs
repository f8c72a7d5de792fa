using System.Buffers;

namespace PipeChat.Connections;

/// <summary>
/// The pooled receive buffer of a connection that reads into an array (threads, iterative and
/// layered connections): when the session keeps everything it was offered (an unfinished frame)
/// the buffer doubles, up to <see cref="MaxSize"/>.
/// </summary>
internal static class InputBuffer
{
    /// <summary>The most one connection may hold of unfinished input.</summary>
    public const int MaxSize = 1024 * 1024;

    /// <summary>Doubles <paramref name="buffer"/> keeping its first <paramref name="used"/> bytes; false at <see cref="MaxSize"/>.</summary>
    public static bool TryGrow(ref byte[] buffer, int used)
    {
        if (buffer.Length >= MaxSize)
        {
            return false;
        }

        var bigger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
        buffer.AsSpan(0, used).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(buffer);
        buffer = bigger;
        return true;
    }
}
