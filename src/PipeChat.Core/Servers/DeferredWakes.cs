namespace PipeChat.Servers;

/// <summary>
/// Writer wake-ups held back on the current thread until the end of a batch of session calls
/// (threads model). One chat line or join can queue output for every member of a room; waking
/// each writer while the hub is still delivering costs one futex wake and, usually, a preemption
/// of the delivering thread per member. Held back, each writer is woken once per batch and sends
/// everything queued in one write.
/// </summary>
internal static class DeferredWakes
{
    [ThreadStatic]
    private static List<BlockingConnection>? t_pending;

    [ThreadStatic]
    private static int t_depth;

    /// <summary>True while this thread is inside <see cref="Begin"/>/<see cref="End"/>.</summary>
    public static bool Active => t_depth > 0;

    public static void Begin() => t_depth++;

    /// <summary>Queues <paramref name="connection"/>'s wake-up; only while <see cref="Active"/>.</summary>
    public static void Add(BlockingConnection connection) => (t_pending ??= []).Add(connection);

    /// <summary>Ends a batch; the outermost end wakes every writer queued since its begin.</summary>
    public static void End()
    {
        if (--t_depth > 0 || t_pending is not { Count: > 0 } pending)
        {
            return;
        }

        // Nothing here throws (an event is never disposed), so no wake-up can be lost half-way.
        foreach (var connection in pending)
        {
            connection.Wake();
        }

        pending.Clear();
        if (pending.Capacity > 4096)
        {
            pending.Capacity = 4096;
        }
    }
}
