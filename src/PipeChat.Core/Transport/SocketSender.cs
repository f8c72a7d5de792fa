using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace PipeChat.Transport;

/// <summary>
/// Sends for one connection, awaited or with a callback. A multi-segment buffer goes out as
/// one gather send (BufferList) so batched output costs one syscall, with the segment list reused.
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
        StartWithCallback(null);
        SetBuffers(buffer);
        return socket.SendAsync(this) ? Pending : CompletedSynchronously();
    }

    public ValueTask<int> SendAsync(Socket socket, ReadOnlyMemory<byte> memory)
    {
        StartWithCallback(null);
        SetSingleBuffer(memory);
        return socket.SendAsync(this) ? Pending : CompletedSynchronously();
    }

    /// <summary>
    /// Starts sending <paramref name="buffer"/>; true when pending (<paramref name="callback"/>
    /// is told when it completes), false when it completed at once (result in SocketError).
    /// </summary>
    public bool StartSend(Socket socket, in ReadOnlySequence<byte> buffer, ISocketOperationCallback callback)
    {
        StartWithCallback(callback);
        SetBuffers(buffer);
        return socket.SendAsync(this);
    }

    /// <summary>Forgets the buffers of the last send, so the args pin nothing while pooled.</summary>
    public void ClearBuffers()
    {
        SetSingleBuffer(ReadOnlyMemory<byte>.Empty);
        _segments.Clear();
    }

    private void SetBuffers(in ReadOnlySequence<byte> buffer)
    {
        if (buffer.IsSingleSegment)
        {
            SetSingleBuffer(buffer.First);
            return;
        }

        // A memory buffer and a buffer list cannot both be set; clear the former.
        SetBuffer(null, 0, 0);

        _segments.Clear();
        foreach (var memory in buffer)
        {
            _segments.Add(AsSegment(memory));
        }

        BufferList = _segments;
    }

    private void SetSingleBuffer(ReadOnlyMemory<byte> memory)
    {
        if (BufferList is not null)
        {
            BufferList = null;
        }

        SetBuffer(MemoryMarshal.AsMemory(memory));
    }

    private static ArraySegment<byte> AsSegment(ReadOnlyMemory<byte> memory)
    {
        // Pipe memory comes from ArrayPool, so it is always array-backed.
        return MemoryMarshal.TryGetArray(memory, out var segment)
            ? segment
            : throw new InvalidOperationException("Buffer is not backed by an array.");
    }
}
