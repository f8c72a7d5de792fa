using System.Collections.Concurrent;

namespace PipeChat.Models;

/// <summary>What a server needs of an open connection to shut down.</summary>
internal interface IDrainable
{
    /// <summary>Take no more input; answer what was read, flush, close.</summary>
    void StopReceiving();

    /// <summary>Close now.</summary>
    void Abort();
}

/// <summary>
/// The open connections of a server, for the connection limit and for shutdown (every model
/// must be able to stop reading on all of them, then abort the stragglers).
/// </summary>
internal sealed class ConnectionRegistry<T>
    where T : class, IDrainable
{
    private readonly ConcurrentDictionary<long, T> _open = new();
    private readonly int _max;
    private long _nextId;
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

        lock (_open)
        {
            if (_empty.Task.IsCompleted)
            {
                _empty = NewEmptySignal(completed: false);
            }
        }

        return Interlocked.Increment(ref _nextId);
    }

    /// <summary>Fills a reserved slot.</summary>
    public void Set(long id, T connection) => _open[id] = connection;

    public void Remove(long id)
    {
        _open.TryRemove(id, out _);
        if (Interlocked.Decrement(ref _count) == 0)
        {
            lock (_open)
            {
                if (Volatile.Read(ref _count) == 0)
                {
                    _empty.TrySetResult();
                }
            }
        }
    }

    public ICollection<T> Snapshot() => _open.Values;

    /// <summary>Asks every open connection to finish (graceful) or closes it now.</summary>
    public void StopAll(bool graceful)
    {
        foreach (var connection in _open.Values)
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
    /// The shutdown of SPEC §2: connections finish what they read within <paramref name="timeout"/>
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
        lock (_open)
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
