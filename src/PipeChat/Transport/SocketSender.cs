using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace PipeChat.Transport;

/// <summary>
/// Awaitable sends for one connection. A multi-segment buffer goes out as one gather send
/// (BufferList) so batched output costs one syscall, with the segment list reused.
/// </summary>
internal sealed class SocketSender : AwaitableSocketEventArgs
{
    private readonly List<ArraySegment<byte>> _segments = [];

    public SocketSender(PipeScheduler scheduler)
        : base(scheduler)
    {
    }

    public ValueTask<int> SendAsync(Socket socket, in ReadOnlySequence<byte> buffer)
    {
        if (buffer.IsSingleSegment)
        {
            return SendAsync(socket, buffer.First);
        }

        // A memory buffer and a buffer list cannot both be set; clear the former.
        SetBuffer(null, 0, 0);

        _segments.Clear();
        foreach (var memory in buffer)
        {
            _segments.Add(AsSegment(memory));
        }

        BufferList = _segments;
        return socket.SendAsync(this) ? Pending : CompletedSynchronously();
    }

    public ValueTask<int> SendAsync(Socket socket, ReadOnlyMemory<byte> memory)
    {
        if (BufferList is not null)
        {
            BufferList = null;
        }

        SetBuffer(MemoryMarshal.AsMemory(memory));
        return socket.SendAsync(this) ? Pending : CompletedSynchronously();
    }

    private static ArraySegment<byte> AsSegment(ReadOnlyMemory<byte> memory)
    {
        // Pipe memory comes from ArrayPool, so it is always array-backed.
        return MemoryMarshal.TryGetArray(memory, out var segment)
            ? segment
            : throw new InvalidOperationException("Buffer is not backed by an array.");
    }
}
