namespace PipeChat.Protocols.Chat;

/// <summary>
/// Runs deferred wake-ups of busy rooms (<see cref="CoalescedWake"/>) after a delay. Supplied by the host: the
/// server's runs them on a thread of its own with sub-millisecond precision; tests run them by hand.
/// </summary>
public interface IWakeScheduler
{
    /// <summary>
    /// Runs <paramref name="target"/> once, <paramref name="delay"/> from now or soon after, on any thread.
    /// Quick and never blocking: called while a line is being published.
    /// </summary>
    void Schedule(IDeferredWake target, TimeSpan delay);
}

/// <summary>A wake-up held back by <see cref="IWakeScheduler"/>.</summary>
public interface IDeferredWake
{
    /// <summary>The delay is up: wake now. Never throws.</summary>
    void RunDeferredWake();
}
