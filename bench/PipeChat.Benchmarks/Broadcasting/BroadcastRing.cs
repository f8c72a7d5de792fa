using System.Buffers;

namespace PipeChat.Benchmarks.Broadcasting;

/// <summary>
/// A Disruptor-style broadcast ring: one shared array of message slots for the whole room, and per
/// member nothing but a cursor (the next sequence it will read). Publishing claims a sequence,
/// copies the line into its slot and marks the slot published; no per-member work at all.
/// </summary>
/// <remarks>
/// Multi-producer claim (Interlocked), per-slot publish marks, and gating: a producer may not lap
/// the slowest reader. The minimum reader cursor is cached and recomputed only when the ring could
/// wrap, so a publish is O(1) amortised whatever the member count. A reader lapped for good would,
/// in a server, be cut off as too slow; here it throws.
/// </remarks>
internal sealed class BroadcastRing
{
    private readonly byte[][] _slots;
    private readonly int[] _lengths;
    private readonly long[] _published;
    private readonly int _mask;
    private readonly List<Reader> _readers = [];
    private long _claimed = -1;
    private long _cachedMinCursor;

    public BroadcastRing(int capacity, int slotSize)
    {
        if (capacity <= 0 || (capacity & (capacity - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), "Capacity must be a power of two.");
        }

        _slots = new byte[capacity][];
        for (int i = 0; i < capacity; i++)
        {
            _slots[i] = new byte[slotSize];
        }

        _lengths = new int[capacity];
        _published = new long[capacity];
        Array.Fill(_published, -1L);
        _mask = capacity - 1;
    }

    public Reader AddReader()
    {
        var reader = new Reader(this, Volatile.Read(ref _claimed) + 1);
        _readers.Add(reader);
        return reader;
    }

    /// <summary>Publishes <c>&lt;name&gt; text\n</c>, encoded straight into its slot.</summary>
    public void Publish(ReadOnlySpan<byte> name, ReadOnlySpan<byte> text)
    {
        long sequence = Interlocked.Increment(ref _claimed);
        WaitForRoom(sequence);
        int index = (int)(sequence & _mask);
        Span<byte> slot = _slots[index];
        slot[0] = (byte)'<';
        name.CopyTo(slot[1..]);
        int at = 1 + name.Length;
        "> "u8.CopyTo(slot[at..]);
        at += 2;
        text.CopyTo(slot[at..]);
        at += text.Length;
        slot[at++] = (byte)'\n';
        _lengths[index] = at;
        Volatile.Write(ref _published[index], sequence);
    }

    private void WaitForRoom(long sequence)
    {
        long wrapPoint = sequence - _slots.Length;
        if (wrapPoint < Volatile.Read(ref _cachedMinCursor))
        {
            return;
        }

        long min = long.MaxValue;
        foreach (var reader in _readers)
        {
            min = Math.Min(min, Volatile.Read(ref reader.Cursor));
        }

        Volatile.Write(ref _cachedMinCursor, min);
        if (wrapPoint >= min)
        {
            throw new InvalidOperationException("A reader is a whole ring behind: it would be cut off as too slow.");
        }
    }

    /// <summary>One member's view: a cursor into the shared ring.</summary>
    internal sealed class Reader(BroadcastRing ring, long start)
    {
        public long Cursor = start;

        /// <summary>Copies every published line this member has not read yet into <paramref name="output"/>.</summary>
        public int DrainTo(ArrayBufferWriter<byte> output)
        {
            int count = 0;
            long next = Cursor;
            while (true)
            {
                int index = (int)(next & ring._mask);
                if (Volatile.Read(ref ring._published[index]) != next)
                {
                    break;
                }

                output.Write(ring._slots[index].AsSpan(0, ring._lengths[index]));
                next++;
                count++;
            }

            Volatile.Write(ref Cursor, next);
            return count;
        }
    }
}
