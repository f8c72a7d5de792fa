using PipeChat.Connections;

namespace PipeChat.Servers;

/// <summary>
/// The open connections of a server, for the connection limit and for shutdown (every model
/// must be able to stop reading on all of them, then abort the stragglers). Slots in an array,
/// reused through a free list: an open connection costs the registry one array element, and
/// accepting or closing allocates nothing once the arrays have grown to the peak.
/// </summary>
internal sealed class ConnectionRegistry<T>
    where T : class, IDrainable
{
    private readonly Lock _lock = new();
    private readonly int _max;
    private T?[] _slots = [];
    private int[] _freeSlots = [];
    private int _freeCount;
    private int _slotsUsed;
    private int _count;
    private TaskCompletionSource _empty = NewEmptySignal(completed: true);

    public ConnectionRegistry(int max) => _max = max;

    public int Count => Volatile.Read(ref _count);

    /// <summary>Takes a slot unless the limit is reached; returns its id or -1.</summary>
    public long TryReserve()
    {
        if (Interlocked.Increment(ref _count) > _max)
        {
            Interlocked.Decrement(ref _count);
            return -1;
        }

        lock (_lock)
        {
            if (_empty.Task.IsCompleted)
            {
                _empty = NewEmptySignal(completed: false);
            }

            if (_freeCount > 0)
            {
                return _freeSlots[--_freeCount];
            }

            if (_slotsUsed == _slots.Length)
            {
                var length = Math.Max(16, _slots.Length * 2);
                Array.Resize(ref _slots, length);
                Array.Resize(ref _freeSlots, length);
            }

            return _slotsUsed++;
        }
    }

    /// <summary>Fills a reserved slot.</summary>
    public void Set(long id, T connection)
    {
        lock (_lock)
        {
            _slots[id] = connection;
        }
    }

    public void Remove(long id)
    {
        lock (_lock)
        {
            _slots[id] = null;
            _freeSlots[_freeCount++] = (int)id;
        }

        if (Interlocked.Decrement(ref _count) == 0)
        {
            lock (_lock)
            {
                if (Volatile.Read(ref _count) == 0)
                {
                    _empty.TrySetResult();
                }
            }
        }
    }

    /// <summary>The open connections at this moment (a copy).</summary>
    public List<T> Snapshot()
    {
        lock (_lock)
        {
            var open = new List<T>(_slotsUsed - _freeCount);
            for (var i = 0; i < _slotsUsed; i++)
            {
                if (_slots[i] is { } connection)
                {
                    open.Add(connection);
                }
            }

            return open;
        }
    }

    /// <summary>Asks every open connection to finish (graceful) or closes it now.</summary>
    public void StopAll(bool graceful)
    {
        foreach (var connection in Snapshot())
        {
            if (graceful)
            {
                connection.StopReceiving();
            }
            else
            {
                connection.Abort();
            }
        }
    }

    /// <summary>
    /// The shutdown of docs/options.md: connections finish what they read within <paramref name="timeout"/>
    /// (zero: at once), whatever is still open then is aborted.
    /// </summary>
    public async Task DrainAsync(TimeSpan timeout)
    {
        StopAll(graceful: timeout > TimeSpan.Zero);
        await Drain.WaitAsync(WhenEmpty(), timeout).ConfigureAwait(false);
        StopAll(graceful: false);
        await WhenEmpty().ConfigureAwait(false);
    }

    /// <summary>Completes when no connection is open.</summary>
    public Task WhenEmpty()
    {
        lock (_lock)
        {
            return Volatile.Read(ref _count) == 0 ? Task.CompletedTask : _empty.Task;
        }
    }

    private static TaskCompletionSource NewEmptySignal(bool completed)
    {
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (completed)
        {
            tcs.SetResult();
        }

        return tcs;
    }
}
