namespace PipeChat.LoadTests.Sockets;

/// <summary>Opens many connections with a bound on how many are pending at once.</summary>
public static class Connector
{
    /// <summary>
    /// Runs <paramref name="connectOne"/> for 0..<paramref name="count"/>-1, at most
    /// <paramref name="maxPending"/> at a time; returns the exceptions of the ones that failed.
    /// </summary>
    public static async Task<IReadOnlyList<Exception>> ConnectManyAsync(
        int count,
        int maxPending,
        Func<int, CancellationToken, Task> connectOne,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connectOne);
        var failures = new System.Collections.Concurrent.ConcurrentBag<Exception>();
        var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, maxPending), CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(Enumerable.Range(0, count), options, async (i, ct) =>
        {
            try
            {
                await connectOne(i, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                failures.Add(ex);
            }
        }).ConfigureAwait(false);
        return failures.ToArray();
    }
}
