namespace PipeChat.Protocols;

/// <summary>
/// Wake-ups held back on the current thread until the end of a batch of work (the lines of one receive, one
/// accept batch). One chat line or join can make output for every member of a room; waking each reader while
/// the batch is still being handled costs a wake-up (and often a preemption of the handling thread) per line.
/// Held back, each is woken once per batch and finds the whole batch waiting. Batches nest; only the outermost
/// end wakes. The one per-thread state of the protocol layer: it only reorders wake-ups within one call.
/// </summary>
internal static class WakeBatch
{
    [ThreadStatic]
    private static List<IWakeable>? t_pending;

    [ThreadStatic]
    private static int t_depth;

    /// <summary>Gets a value indicating whether this thread is inside <see cref="Begin"/>/<see cref="End"/>.</summary>
    public static bool Active => t_depth > 0;

    public static void Begin() => t_depth++;

    /// <summary>Queues <paramref name="target"/>'s wake-up; only while <see cref="Active"/>.</summary>
    public static void Add(IWakeable target)
    {
        List<IWakeable> pending = t_pending ??= [];
        if (pending.Count == 0 || pending[^1] != target)
        {
            pending.Add(target);
        }
    }

    /// <summary>Ends a batch; the outermost end wakes everything queued since its begin.</summary>
    public static void End()
    {
        if (--t_depth > 0 || t_pending is not { Count: > 0 } pending)
        {
            return;
        }

        // Targets never throw (sinks' exceptions are caught where they are called), so no wake-up is lost half-way.
        foreach (IWakeable target in pending)
        {
            target.Wake();
        }

        pending.Clear();
        if (pending.Capacity > 4096)
        {
            pending.Capacity = 4096;
        }
    }
}
