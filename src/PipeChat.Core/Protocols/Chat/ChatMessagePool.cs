using System.Buffers;
using Microsoft.Extensions.ObjectPool;

namespace PipeChat.Protocols.Chat;

/// <summary>
/// Hands out <see cref="ChatMessage"/>s whose bytes come from <see cref="ArrayPool{T}.Shared"/> and whose
/// objects are recycled, so steady-state relaying allocates nothing.
/// </summary>
/// <remarks>
/// <see cref="Shared"/> serves the server. Tests and benchmarks can use their own instance to watch
/// <see cref="Outstanding"/> without interference from other code.
/// </remarks>
public sealed class ChatMessagePool
{
    /// <summary>Objects kept for reuse; beyond that, released messages are left to the GC.</summary>
    public const int DefaultMaxRetained = 4096;

    private readonly DefaultObjectPool<ChatMessage> _objects;
    private long _outstanding;

    /// <summary>Creates a pool that keeps up to <paramref name="maxRetained"/> idle message objects.</summary>
    public ChatMessagePool(int maxRetained = DefaultMaxRetained)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxRetained);
        _objects = new DefaultObjectPool<ChatMessage>(new Policy(), maxRetained);
    }

    /// <summary>The pool the server uses.</summary>
    public static ChatMessagePool Shared { get; } = new();

    /// <summary>Messages rented and not yet released to zero (a leak shows up here).</summary>
    public long Outstanding => Interlocked.Read(ref _outstanding);

    /// <summary>
    /// Rents a message of exactly <paramref name="length"/> bytes with a reference count of 1, owned by the
    /// caller. Fill it through <see cref="ChatMessage.GetWritableSpan"/> before sharing it.
    /// </summary>
    public ChatMessage Rent(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ChatMessage message = _objects.Get();
        message.Initialize(this, ArrayPool<byte>.Shared.Rent(length), length);
        Interlocked.Increment(ref _outstanding);
        return message;
    }

    /// <summary>Called by <see cref="ChatMessage.Release"/> once its buffer went back to the array pool.</summary>
    internal void Return(ChatMessage message)
    {
        Interlocked.Decrement(ref _outstanding);
        _objects.Return(message);
    }

    private sealed class Policy : IPooledObjectPolicy<ChatMessage>
    {
        public ChatMessage Create() => new();

        // Release already reset the object; every returned one is reusable.
        public bool Return(ChatMessage obj) => true;
    }
}
