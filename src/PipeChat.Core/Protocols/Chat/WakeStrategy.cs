namespace PipeChat.Protocols.Chat;

/// <summary>
/// When a room wakes its sleeping readers after a publish: at once (<see cref="ImmediateWake"/>) or held back
/// to one wake-up per window (<see cref="CoalescedWake"/>).
/// </summary>
internal abstract class WakeStrategy
{
    /// <summary>Gets a value indicating whether a deferred wake-up is scheduled.</summary>
    public virtual bool Pending => false;

    /// <summary>
    /// The strategy for <paramref name="coalescing"/>: rooms coalesce only when it is on and a scheduler runs the
    /// deferred wake-ups (without one they wake at once).
    /// </summary>
    public static WakeStrategy Create(IWakeable target, WakeCoalescing coalescing, IWakeScheduler? scheduler, TimeProvider? time) =>
        coalescing == WakeCoalescing.Off || scheduler is null
            ? new ImmediateWake(target)
            : new CoalescedWake(target, coalescing, scheduler, time ?? TimeProvider.System);

    /// <summary>Lines were published and someone is asleep: wake them now or later.</summary>
    public abstract void Signal();

    /// <summary>A line was published (under the room's write lock, whether or not anyone sleeps).</summary>
    public virtual void Published()
    {
    }

    /// <summary>The room now has <paramref name="readers"/> readers (the window may depend on it).</summary>
    public virtual void ReadersChanged(int readers)
    {
    }
}

/// <summary>Wakes on every signal.</summary>
internal sealed class ImmediateWake(IWakeable target) : WakeStrategy
{
    public override void Signal() => target.Wake();
}
