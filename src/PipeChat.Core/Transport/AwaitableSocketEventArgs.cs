using System.IO.Pipelines;
using System.Net.Sockets;
using System.Threading.Tasks.Sources;

namespace PipeChat.Transport;

/// <summary>
/// A SocketAsyncEventArgs that can be awaited as a ValueTask&lt;int&gt; without allocating:
/// the args object itself is the IValueTaskSource. One instance is reused for every
/// receive (or every send) of a connection, which is what keeps the hot path allocation-free.
/// An operation can instead be started in callback mode (<see cref="StartWithCallback"/>): its
/// asynchronous completion then calls the owner back and nothing waits on it, so a pending
/// operation holds no async state machine.
/// </summary>
internal class AwaitableSocketEventArgs : SocketAsyncEventArgs, IValueTaskSource<int>
{
    // Marks "operation finished before anyone awaited": the awaiter then runs at once.
    private static readonly Action<object?> CompletedSentinel = _ => { };

    private readonly PipeScheduler _scheduler;
    private Action<object?>? _continuation;
    private object? _continuationState;
    private ISocketOperationCallback? _callback;

    public AwaitableSocketEventArgs(PipeScheduler scheduler)
        : base(unsafeSuppressExecutionContextFlow: true)
    {
        _scheduler = scheduler;
    }

    /// <summary>A ValueTask for an operation that was started and is pending.</summary>
    protected ValueTask<int> Pending => new(this, 0);

    /// <summary>
    /// Sets the owner to call when the next operation completes asynchronously; null (the
    /// default) means the operation is awaited. Call before starting the operation.
    /// </summary>
    protected void StartWithCallback(ISocketOperationCallback? callback) => _callback = callback;

    /// <summary>A ValueTask for an operation that finished synchronously.</summary>
    protected ValueTask<int> CompletedSynchronously()
    {
        return SocketError == SocketError.Success
            ? new ValueTask<int>(BytesTransferred)
            : ValueTask.FromException<int>(new SocketException((int)SocketError));
    }

    protected override void OnCompleted(SocketAsyncEventArgs e)
    {
        if (_callback is { } callback)
        {
            callback.OnOperationCompleted(this);
            return;
        }

        var continuation = _continuation;
        if (continuation is not null
            || (continuation = Interlocked.CompareExchange(ref _continuation, CompletedSentinel, null)) is not null)
        {
            // The awaiter registered first: hand it the result.
            var state = _continuationState;
            _continuationState = null;
            _continuation = CompletedSentinel;
            _scheduler.Schedule(continuation, state);
        }
    }

    public int GetResult(short token)
    {
        _continuation = null;
        if (SocketError != SocketError.Success)
        {
            throw new SocketException((int)SocketError);
        }

        return BytesTransferred;
    }

    public ValueTaskSourceStatus GetStatus(short token)
    {
        if (!ReferenceEquals(_continuation, CompletedSentinel))
        {
            return ValueTaskSourceStatus.Pending;
        }

        return SocketError == SocketError.Success ? ValueTaskSourceStatus.Succeeded : ValueTaskSourceStatus.Faulted;
    }

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
    {
        _continuationState = state;
        if (ReferenceEquals(_continuation, CompletedSentinel)
            || ReferenceEquals(Interlocked.CompareExchange(ref _continuation, continuation, null), CompletedSentinel))
        {
            // Completed between the start and this registration: run it now, off this stack.
            _continuationState = null;
            ThreadPool.UnsafeQueueUserWorkItem(continuation, state, preferLocal: true);
        }
    }
}
