using System.Buffers;
using PipeChat.Protocols.Chat;

namespace PipeChat.Benchmarks.Broadcasting;

/// <summary>
/// An in-memory chat member shaped like ChatSession: a lock and a Queue of shared, reference-counted
/// messages, drained in a batch into the member's output buffer (where the transport would send it).
/// </summary>
internal sealed class QueueingSink : IChatMemberSink
{
    private readonly Lock _lock = new();
    private readonly Queue<ChatMessage> _pending = new();
    private bool _closed;

    public bool TryDeliver(ChatMessage message)
    {
        lock (_lock)
        {
            if (_closed)
            {
                return false;
            }

            message.AddRef();
            _pending.Enqueue(message);
            return true;
        }
    }

    /// <summary>What ChatSession.DrainTo does: copy each line out, release it.</summary>
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

    public void Close()
    {
        lock (_lock)
        {
            _closed = true;
        }
    }
}

/// <summary>A sink that takes and drops its reference at once: the hub's own fan-out cost, nothing else.</summary>
internal sealed class ReleasingSink : IChatMemberSink
{
    public int Delivered { get; private set; }

    public bool TryDeliver(ChatMessage message)
    {
        message.AddRef();
        Delivered++;
        message.Release();
        return true;
    }

    public void Close()
    {
    }
}
