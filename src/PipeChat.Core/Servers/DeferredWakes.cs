using PipeChat.Protocols;

namespace PipeChat.Servers;

/// <summary>
/// Writer wake-ups held back until the end of a batch of session calls (threads model), on the same
/// per-thread batch as the chat rooms' wake-ups (<see cref="WakeBatch"/>): one chat line or join can queue
/// output for every member of a room, and each writer is then woken once per batch and sends everything
/// queued in one write.
/// </summary>
internal static class DeferredWakes
{
    /// <summary>True while this thread is inside <see cref="Begin"/>/<see cref="End"/>.</summary>
    public static bool Active => WakeBatch.Active;

    public static void Begin() => WakeBatch.Begin();

    /// <summary>Queues <paramref name="connection"/>'s wake-up; only while <see cref="Active"/>.</summary>
    public static void Add(BlockingConnection connection) => WakeBatch.Add(connection);

    /// <summary>Ends a batch; the outermost end wakes every writer queued since its begin.</summary>
    public static void End() => WakeBatch.End();
}
