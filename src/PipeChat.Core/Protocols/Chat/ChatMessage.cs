using System.Buffers;
using System.Text;

namespace PipeChat.Protocols.Chat;

/// <summary>
/// One server line (ending in <c>\n</c>) encoded once into pooled memory and shared by every recipient.
/// </summary>
/// <remarks>
/// <para>
/// Reference counted: whoever creates a message holds one reference; each holder that keeps it (for example
/// a transport's send queue) calls <see cref="AddRef"/> and later <see cref="Release"/> exactly once.
/// When the count reaches zero the bytes go back to <see cref="ArrayPool{T}.Shared"/> and the object to its
/// <see cref="ChatMessagePool"/>, so a message must not be touched after the holder's own release.
/// </para>
/// <para>
/// Releasing more often than referenced throws <see cref="InvalidOperationException"/> while the object is
/// still idle in the pool; once it has been rented again such a bug can no longer be seen.
/// </para>
/// <para>
/// Bytes are copied as they are, except a member's text in <see cref="FromMember(ChatMessagePool, ReadOnlySpan{byte}, ReadOnlySpan{byte})"/>
/// and <see cref="ComposeText"/>, which goes through <see cref="ChatText"/> (control characters and invalid
/// UTF-8 become U+FFFD), so such a message may be up to <see cref="ChatText.MaxGrowth"/> times the text.
/// </para>
/// </remarks>
public sealed class ChatMessage
{
    private byte[]? _array;
    private int _length;
    private int _refCount;
    private ChatMessagePool? _owner;

    internal ChatMessage()
    {
    }

    /// <summary>Length in bytes, including the final <c>\n</c>.</summary>
    public int Length => _length;

    /// <summary>Current reference count (diagnostics and tests).</summary>
    public int RefCount => Volatile.Read(ref _refCount);

    /// <summary>The encoded line; valid until the caller's reference is released.</summary>
    public ReadOnlyMemory<byte> Memory => new(ArrayOrThrow(), 0, _length);

    /// <summary>The encoded line as a span; valid until the caller's reference is released.</summary>
    public ReadOnlySpan<byte> Span => new(ArrayOrThrow(), 0, _length);

    /// <summary>Rents an unfilled message from <see cref="ChatMessagePool.Shared"/>.</summary>
    public static ChatMessage Rent(int length) => ChatMessagePool.Shared.Rent(length);

    /// <summary><c>* text\n</c> from the shared pool.</summary>
    public static ChatMessage Notice(string text) => Notice(ChatMessagePool.Shared, text);

    /// <summary><c>* text\n</c>.</summary>
    public static ChatMessage Notice(ChatMessagePool pool, string text) => FromString(pool, "* "u8, text);

    /// <summary><c>! text\n</c> from the shared pool.</summary>
    public static ChatMessage Error(string text) => Error(ChatMessagePool.Shared, text);

    /// <summary><c>! text\n</c>.</summary>
    public static ChatMessage Error(ChatMessagePool pool, string text) => FromString(pool, "! "u8, text);

    /// <summary><c>&lt;NAME&gt; text\n</c> from the shared pool.</summary>
    public static ChatMessage FromMember(ReadOnlySpan<byte> name, ReadOnlySpan<byte> text) =>
        FromMember(ChatMessagePool.Shared, name, text);

    /// <summary><c>&lt;NAME&gt; text\n</c>: what a member's plain line becomes for the others (text sanitized).</summary>
    public static ChatMessage FromMember(ChatMessagePool pool, ReadOnlySpan<byte> name, ReadOnlySpan<byte> text) =>
        ComposeText(pool, "<"u8, name, "> "u8, text);

    /// <summary>
    /// <see cref="Compose"/> with <paramref name="text"/> sanitized by <see cref="ChatText"/>: for anything a
    /// member typed that others (or the member itself) will see. Plain text costs one vector scan more.
    /// </summary>
    public static ChatMessage ComposeText(
        ChatMessagePool pool,
        ReadOnlySpan<byte> part0,
        ReadOnlySpan<byte> part1,
        ReadOnlySpan<byte> part2,
        ReadOnlySpan<byte> text)
    {
        int dirty = ChatText.IndexOfNonPlain(text);
        return dirty < 0 ? Compose(pool, part0, part1, part2, text) : ComposeSanitized(pool, part0, part1, part2, text, dirty);
    }

    /// <summary>
    /// Concatenates up to four parts and a final <c>\n</c> into one message, without intermediate strings.
    /// </summary>
    public static ChatMessage Compose(
        ChatMessagePool pool,
        ReadOnlySpan<byte> part0,
        ReadOnlySpan<byte> part1 = default,
        ReadOnlySpan<byte> part2 = default,
        ReadOnlySpan<byte> part3 = default)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ChatMessage message = pool.Rent(part0.Length + part1.Length + part2.Length + part3.Length + 1);
        Span<byte> span = message.GetWritableSpan();
        part0.CopyTo(span);
        span = span[part0.Length..];
        part1.CopyTo(span);
        span = span[part1.Length..];
        part2.CopyTo(span);
        span = span[part2.Length..];
        part3.CopyTo(span);
        span[part3.Length] = (byte)'\n';
        return message;
    }

    /// <summary>The slow path of <see cref="ComposeText"/>: the text from <paramref name="dirty"/> on is rewritten into the message.</summary>
    private static ChatMessage ComposeSanitized(
        ChatMessagePool pool,
        ReadOnlySpan<byte> part0,
        ReadOnlySpan<byte> part1,
        ReadOnlySpan<byte> part2,
        ReadOnlySpan<byte> text,
        int dirty)
    {
        ArgumentNullException.ThrowIfNull(pool);
        int head = part0.Length + part1.Length + part2.Length + dirty;
        ReadOnlySpan<byte> tail = text[dirty..];
        ChatMessage message = pool.Rent(head + ChatText.GetSanitizedLength(tail) + 1);
        Span<byte> span = message.GetWritableSpan();
        part0.CopyTo(span);
        part1.CopyTo(span[part0.Length..]);
        part2.CopyTo(span[(part0.Length + part1.Length)..]);
        text[..dirty].CopyTo(span[(head - dirty)..]);
        ChatText.Sanitize(tail, span[head..^1]);
        span[^1] = (byte)'\n';
        return message;
    }

    /// <summary>
    /// The bytes to fill after <see cref="ChatMessagePool.Rent"/>. Only while the creator holds the sole
    /// reference: once shared, a message is immutable.
    /// </summary>
    public Span<byte> GetWritableSpan() => new(ArrayOrThrow(), 0, _length);

    /// <summary>Adds <paramref name="count"/> references; throws if the message was already released.</summary>
    public void AddRef(int count = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        int current = Volatile.Read(ref _refCount);
        while (true)
        {
            if (current <= 0)
            {
                throw new InvalidOperationException("ChatMessage.AddRef on a message that was already released.");
            }

            int seen = Interlocked.CompareExchange(ref _refCount, current + count, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    /// <summary>Drops one reference; the last one returns the buffer and the object to their pools.</summary>
    public void Release()
    {
        int remaining = Interlocked.Decrement(ref _refCount);
        if (remaining > 0)
        {
            return;
        }

        if (remaining < 0)
        {
            // Undo so the pooled object stays usable, then report the bug loudly.
            Interlocked.Increment(ref _refCount);
            throw new InvalidOperationException("ChatMessage released more times than it was referenced.");
        }

        byte[] array = _array!;
        ChatMessagePool owner = _owner!;
        _array = null;
        _owner = null;
        _length = 0;
        ArrayPool<byte>.Shared.Return(array);
        owner.Return(this);
    }

    /// <summary>The line as text (lossy for invalid UTF-8); for logs and tests.</summary>
    public override string ToString() => _array is null ? "(released)" : Encoding.UTF8.GetString(_array, 0, _length);

    internal void Initialize(ChatMessagePool owner, byte[] array, int length)
    {
        _owner = owner;
        _array = array;
        _length = length;
        Volatile.Write(ref _refCount, 1);
    }

    private static ChatMessage FromString(ChatMessagePool pool, ReadOnlySpan<byte> prefix, string text)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(text);
        int textLength = Encoding.UTF8.GetByteCount(text);
        ChatMessage message = pool.Rent(prefix.Length + textLength + 1);
        Span<byte> span = message.GetWritableSpan();
        prefix.CopyTo(span);
        Encoding.UTF8.GetBytes(text, span[prefix.Length..]);
        span[^1] = (byte)'\n';
        return message;
    }

    private byte[] ArrayOrThrow() =>
        _array ?? throw new InvalidOperationException("ChatMessage used after its last reference was released.");
}
