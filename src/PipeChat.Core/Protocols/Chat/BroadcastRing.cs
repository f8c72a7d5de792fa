using System.Numerics;

namespace PipeChat.Protocols.Chat;

/// <summary>
/// A broadcast ring, Disruptor style: entries are published once into numbered slots, and every reader has
/// nothing but a cursor (<see cref="RingReader.Cursor"/>). One writer at a time (the caller serialises
/// writers); readers never lock.
/// </summary>
/// <remarks>
/// <para>
/// A slot is published by writing its sequence last, so a reader that sees the sequence it expects sees the
/// whole entry. Nobody waits for a slow reader: a slot is reused only once every reader has passed it; when
/// the slowest has not, the ring doubles instead. Once the ring has <c>maxCapacity</c> slots, readers a whole
/// ring behind are reported as lagging (once each): removing them is what bounds the ring.
/// </para>
/// <para>
/// The ring holds one reference to each entry until its slot is reused, the ring shrinks or it closes: at
/// most one ring's worth of entries everyone has read stays alive.
/// </para>
/// </remarks>
internal sealed class BroadcastRing<T, TReader>
    where T : IRingItem
    where TReader : RingReader
{
    public const int InitialCapacity = 256;

    private readonly int _maxCapacity;
    private Slot[] _slots;
    private TReader[] _readers = [];
    private long _published = -1;
    private long _minCursor;
    private long _released;

    public BroadcastRing(int maxCapacity)
    {
        _maxCapacity = Math.Max(InitialCapacity, maxCapacity);
        _slots = NewSlots(InitialCapacity);
    }

    /// <summary>Readers currently on the ring (immutable snapshot).</summary>
    public TReader[] Readers => Volatile.Read(ref _readers);

    /// <summary>Sequence of the last entry published, -1 before the first.</summary>
    public long Published => Volatile.Read(ref _published);

    /// <summary>Current slot count (grows while a reader lags a whole ring behind).</summary>
    public int Capacity => Volatile.Read(ref _slots).Length;

    /// <summary>
    /// Publishes <paramref name="item"/> (the ring takes over one reference) and returns its sequence. Readers a
    /// whole ring of the largest size behind are added to <paramref name="lagging"/>. Writer only.
    /// </summary>
    public long Publish(T item, ref List<TReader>? lagging)
    {
        long sequence = _published + 1;
        Slot[] slots = _slots;
        if (sequence - slots.Length >= _minCursor)
        {
            _minCursor = MinCursor(sequence);
            if (sequence - slots.Length >= _minCursor)
            {
                // The slowest reader is a whole ring behind: grow, never wait.
                if (slots.Length >= _maxCapacity)
                {
                    ReportLagging(sequence - slots.Length, ref lagging);
                }

                ReleaseRead(_minCursor);
                slots = Resize(slots.Length * 2, _minCursor, sequence);
            }
        }

        ref Slot slot = ref slots[sequence & (slots.Length - 1)];
        if (slot.Sequence >= 0)
        {
            slot.Item.Release();
        }

        slot.Item = item;
        Volatile.Write(ref slot.Sequence, sequence);
        Volatile.Write(ref _published, sequence);
        return sequence;
    }

    /// <summary>Seats <paramref name="reader"/> at the head: it reads every entry published from now on. Writer only.</summary>
    public void Add(TReader reader)
    {
        reader.Cursor = _published + 1;
        TReader[] old = _readers;
        var readers = new TReader[old.Length + 1];
        old.CopyTo(readers, 0);
        readers[^1] = reader;
        Volatile.Write(ref _readers, readers);
    }

    /// <summary>Takes <paramref name="reader"/> off the ring; false if it was not on it. Writer only.</summary>
    public bool Remove(TReader reader)
    {
        TReader[] old = _readers;
        int index = Array.IndexOf(old, reader);
        if (index < 0)
        {
            return false;
        }

        var readers = new TReader[old.Length - 1];
        Array.Copy(old, 0, readers, 0, index);
        Array.Copy(old, index + 1, readers, index, old.Length - index - 1);
        Volatile.Write(ref _readers, readers);
        return true;
    }

    /// <summary>
    /// The entry at <paramref name="sequence"/>, if it is published. Lock-free; valid for a sequence at or after
    /// the caller's cursor (those slots are not reused until the caller moves past them).
    /// </summary>
    public bool TryGet(long sequence, out T item)
    {
        Slot[] slots = Volatile.Read(ref _slots);
        while (true)
        {
            ref Slot slot = ref slots[sequence & (slots.Length - 1)];
            if (Volatile.Read(ref slot.Sequence) == sequence)
            {
                item = slot.Item;
                return true;
            }

            // Not published yet, or published into a ring that has since grown.
            Slot[] current = Volatile.Read(ref _slots);
            if (current == slots)
            {
                item = default!;
                return false;
            }

            slots = current;
        }
    }

    /// <summary>
    /// Shrinks a ring that grew for a reader who has since caught up or left, letting go of the entries everyone
    /// has read. Entries are otherwise released one at a time as their slots are reused: releasing thousands at
    /// once could overflow a pool they go back to. Writer only; call now and then, not on every publish.
    /// </summary>
    public void Compact()
    {
        long next = _published + 1;
        long min = MinCursor(next);
        _minCursor = min;
        int fitting = (int)Math.Max(InitialCapacity, BitOperations.RoundUpToPowerOf2((ulong)((next - min) * 2)));
        if (fitting < _slots.Length / 2)
        {
            ReleaseRead(min);
            Resize(fitting, min, next);
        }
    }

    /// <summary>Drops every entry; the ring is not used again. Writer only, with no reader left.</summary>
    public void Close()
    {
        foreach (ref Slot slot in _slots.AsSpan())
        {
            if (slot.Sequence >= 0)
            {
                slot.Item.Release();
            }

            slot.Item = default!;
            slot.Sequence = -1;
        }
    }

    /// <summary>Reports every reader at or before <paramref name="sequence"/> as lagging.</summary>
    private void ReportLagging(long sequence, ref List<TReader>? lagging)
    {
        foreach (TReader reader in _readers)
        {
            if (!reader.ReportedSlow && Volatile.Read(ref reader.Cursor) <= sequence)
            {
                reader.ReportedSlow = true;
                (lagging ??= []).Add(reader);
            }
        }
    }

    private long MinCursor(long sequence)
    {
        long min = sequence;
        foreach (TReader reader in _readers)
        {
            min = Math.Min(min, Volatile.Read(ref reader.Cursor));
        }

        return min;
    }

    /// <summary>
    /// Moves the entries [<paramref name="from"/>, <paramref name="to"/>) into a ring of
    /// <paramref name="capacity"/> slots, each at its sequence. Readers still in the old array finish what it
    /// holds, then switch (see <see cref="TryGet"/>); the old array is never written again.
    /// </summary>
    private Slot[] Resize(int capacity, long from, long to)
    {
        Slot[] old = _slots;
        Slot[] resized = NewSlots(capacity);
        for (long s = from; s < to; s++)
        {
            resized[s & (resized.Length - 1)] = old[s & (old.Length - 1)];
        }

        Volatile.Write(ref _slots, resized);
        return resized;
    }

    /// <summary>Drops the ring's references to entries every reader has passed.</summary>
    private void ReleaseRead(long min)
    {
        Slot[] slots = _slots;
        for (long s = Math.Max(_released, min - slots.Length); s < min; s++)
        {
            ref Slot slot = ref slots[s & (slots.Length - 1)];
            if (slot.Sequence == s)
            {
                // Every reader has passed it, so no reader looks at this slot again: -1 marks it empty.
                slot.Item.Release();
                slot.Item = default!;
                slot.Sequence = -1;
            }
        }

        _released = Math.Max(_released, min);
    }

    private static Slot[] NewSlots(int capacity)
    {
        var slots = new Slot[capacity];
        foreach (ref Slot slot in slots.AsSpan())
        {
            slot.Sequence = -1;
        }

        return slots;
    }

    private struct Slot
    {
        public T Item;

        // The entry's sequence once published; -1 while the slot holds nothing.
        public long Sequence;
    }
}
