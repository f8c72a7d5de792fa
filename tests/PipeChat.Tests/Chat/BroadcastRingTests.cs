using PipeChat.Protocols.Chat;

namespace PipeChat.Tests.Chat;

/// <summary>The generic broadcast ring on its own: sequences, cursors, growth instead of overwrite, lagging readers.</summary>
public class BroadcastRingTests
{
    private const int Initial = BroadcastRing<Entry, RingReader>.InitialCapacity;

    private readonly BroadcastRing<Entry, RingReader> _ring = new(maxCapacity: 4 * Initial);
    private readonly List<Entry> _entries = [];
    private List<RingReader>? _lagging;

    [Fact]
    public void A_reader_gets_exactly_what_is_published_after_it_joins()
    {
        Assert.Equal(-1, _ring.Published);
        Assert.Equal(0, Publish());
        Assert.Equal(1, Publish());

        var reader = Join();
        Assert.Equal(2, reader.Cursor);
        Assert.False(_ring.TryGet(2, out _));

        Assert.Equal(2, Publish());
        Assert.True(_ring.TryGet(2, out Entry entry));
        Assert.Same(_entries[2], entry);
        Assert.False(_ring.TryGet(3, out _));
        Assert.Equal(2, _ring.Published);
    }

    [Fact]
    public void A_reader_that_does_not_move_makes_the_ring_grow_and_loses_nothing()
    {
        var stuck = Join();
        for (int i = 0; i < 3 * Initial; i++)
        {
            Publish();
        }

        Assert.Equal(4 * Initial, _ring.Capacity);
        for (long s = stuck.Cursor; s <= _ring.Published; s++)
        {
            Assert.True(_ring.TryGet(s, out Entry entry));
            Assert.Same(_entries[(int)s], entry);
        }

        Assert.All(_entries, e => Assert.Equal(0, e.Releases));
        Assert.Null(_lagging);
    }

    [Fact]
    public void Slots_are_reused_once_every_reader_has_passed_them_and_each_entry_released_once()
    {
        var a = Join();
        var b = Join();
        for (int i = 0; i < 10 * Initial; i++)
        {
            long s = Publish();
            Assert.True(_ring.TryGet(a.Cursor, out _));
            a.Cursor = s + 1;
            b.Cursor = s + 1;
        }

        Assert.Equal(Initial, _ring.Capacity);
        Assert.All(_entries.Take(9 * Initial), e => Assert.Equal(1, e.Releases));
        Assert.All(_entries.Skip(9 * Initial), e => Assert.Equal(0, e.Releases));

        _ring.Remove(a);
        _ring.Remove(b);
        _ring.Close();
        Assert.All(_entries, e => Assert.Equal(1, e.Releases));
    }

    [Fact]
    public void Readers_a_whole_ring_of_the_largest_size_behind_are_reported_once_and_the_ring_still_grows()
    {
        var stuck = Join();
        var reading = Join();
        for (int i = 0; i < 4 * Initial; i++)
        {
            reading.Cursor = Publish() + 1;
        }

        Assert.Null(_lagging); // within the largest ring: it grew
        Assert.Equal(4 * Initial, _ring.Capacity);

        reading.Cursor = Publish() + 1;
        Assert.Same(stuck, Assert.Single(_lagging!));
        Assert.True(stuck.ReportedSlow);

        for (int i = 0; i < 100; i++)
        {
            reading.Cursor = Publish() + 1;
        }

        Assert.Single(_lagging!);
        Assert.True(_ring.TryGet(stuck.Cursor, out _), "the lagging reader's lines are kept until it is removed");
    }

    [Fact]
    public void Compact_shrinks_the_ring_once_the_reader_it_grew_for_is_gone()
    {
        // It shrinks only to under half its size (no flapping between two sizes), so grow it to 4 rings first.
        var stuck = Join();
        var reading = Join();
        for (int i = 0; i < 3 * Initial; i++)
        {
            reading.Cursor = Publish() + 1;
        }

        Assert.Equal(4 * Initial, _ring.Capacity);
        _ring.Compact();
        Assert.Equal(4 * Initial, _ring.Capacity); // still needed

        Assert.True(_ring.Remove(stuck));
        Assert.False(_ring.Remove(stuck));
        _ring.Compact();
        Assert.Equal(Initial, _ring.Capacity);
        Assert.All(_entries, e => Assert.Equal(1, e.Releases)); // everyone has read them all

        reading.Cursor = Publish() + 1;
        Assert.True(_ring.TryGet(_ring.Published, out Entry last));
        Assert.Same(_entries[^1], last);
    }

    [Fact]
    public void A_reader_in_the_old_array_follows_the_ring_when_it_grows()
    {
        var reader = Join();
        var stuck = Join();
        Publish();
        Assert.True(_ring.TryGet(reader.Cursor, out _));
        reader.Cursor++;
        for (int i = 0; i < Initial; i++)
        {
            Publish(); // grows: the stuck reader is a whole ring behind
        }

        Assert.Equal(2 * Initial, _ring.Capacity);
        for (long s = reader.Cursor; s <= _ring.Published; s++)
        {
            Assert.True(_ring.TryGet(s, out Entry entry));
            Assert.Same(_entries[(int)s], entry);
        }

        Assert.Equal(0, stuck.Cursor);
    }

    private RingReader Join()
    {
        var reader = new RingReader();
        _ring.Add(reader);
        return reader;
    }

    private long Publish()
    {
        var entry = new Entry();
        _entries.Add(entry);
        return _ring.Publish(entry, ref _lagging);
    }

    private sealed class Entry : IRingItem
    {
        public int Releases { get; private set; }

        public void Release() => Releases++;
    }
}

/// <summary>When a room's reader counts as too slow.</summary>
public class BacklogPolicyTests
{
    [Fact]
    public void Backlogs_are_checked_every_sixteenth_of_the_limit_and_over_the_limit_is_slow()
    {
        var policy = new BacklogPolicy(maxBacklog: 1600, maxRingCapacity: 1024);
        Assert.Equal(100, policy.ScanInterval);
        Assert.False(policy.ScanDue(99));
        Assert.True(policy.ScanDue(100));
        Assert.False(policy.ScanDue(150));
        Assert.True(policy.ScanDue(250));
        Assert.False(policy.IsOver(1600));
        Assert.True(policy.IsOver(1601));
    }
}
