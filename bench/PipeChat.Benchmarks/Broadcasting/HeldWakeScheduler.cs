using PipeChat.Protocols.Chat;

namespace PipeChat.Benchmarks.Broadcasting;

/// <summary>
/// Holds the deferred wake-up a coalescing room asks for until the benchmark runs it, as the server's waker thread
/// would when the window is up: single-threaded and allocation-free, so MemoryDiagnoser sees the whole path.
/// </summary>
internal sealed class HeldWakeScheduler : IWakeScheduler
{
    private IDeferredWake? _held;

    public void Schedule(IDeferredWake target, TimeSpan delay) => _held = target;

    /// <summary>Runs the held wake-up, if any.</summary>
    public void RunHeld()
    {
        var held = _held;
        _held = null;
        held?.RunDeferredWake();
    }
}
