using System.Buffers;
using PipeChat.Protocols.Chat;

namespace PipeChat.Benchmarks.Broadcasting;

/// <summary>
/// The design ChatHub used before the ring: per member, a lock and a Queue of shared, reference-counted
/// messages; a broadcast visits every member (lock, AddRef, enqueue) and each member drains its queue in a
/// batch into its output buffer.
/// </summary>
internal sealed class QueueingSink
{
    private readonly Lock _lock = new();
    private readonly Queue<ChatMessage> _pending = new();

    public bool TryDeliver(ChatMessage message)
    {
        lock (_lock)
        {
            message.AddRef();
            _pending.Enqueue(message);
            return true;
        }
    }

    /// <summary>Copies each line out and releases it.</summary>
    public int DrainTo(ArrayBufferWriter<byte> output)
    {
        var count = 0;
        lock (_lock)
        {
            while (_pending.TryDequeue(out var message))
            {
                output.Write(message.Span);
                message.Release();
                count++;
            }
        }

        return count;
    }
}

/// <summary>A member sink for the hub: counts wake-ups; the benchmark drains by hand.</summary>
internal sealed class CountingSink : IChatMemberSink
{
    public int Wakes { get; private set; }

    public void Wake() => Wakes++;

    public void Close()
    {
    }

    public void Abort()
    {
    }
}
