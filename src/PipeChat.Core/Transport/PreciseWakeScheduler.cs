using System.Diagnostics;
using System.Runtime.InteropServices;
using PipeChat.Protocols.Chat;

namespace PipeChat.Transport;

/// <summary>
/// Runs the chat rooms' deferred wake-ups at their due time with sub-millisecond precision: .NET timers and
/// sleeps count whole milliseconds, which is as long as a whole coalescing window. One background thread for
/// the process, started on first use and asleep while no room is busy.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "One instance for the process; its thread and event live as long as it.")]
internal sealed partial class PreciseWakeScheduler : IWakeScheduler
{
    // A sleep is cut into slices this long at most, so a wake-up due sooner than the one slept for is
    // at most this late.
    private const long SliceMicroseconds = 1000;

    // Rooms' windows differ (they grow with the room), so due times come out of order: a heap, not a queue.
    private readonly PriorityQueue<IDeferredWake, long> _due = new();
    private readonly Lock _gate = new();
    private readonly ManualResetEventSlim _work = new(false, spinCount: 0);
    private int _started;

    private PreciseWakeScheduler()
    {
    }

    public static PreciseWakeScheduler Shared { get; } = new();

    /// <inheritdoc />
    public void Schedule(IDeferredWake target, TimeSpan delay)
    {
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            new Thread(Run) { IsBackground = true, Name = "pipechat-chat-waker" }.Start();
        }

        long due = Stopwatch.GetTimestamp() + (long)(delay.TotalSeconds * Stopwatch.Frequency);
        bool wasEmpty;
        lock (_gate)
        {
            wasEmpty = _due.Count == 0;
            _due.Enqueue(target, due);
        }

        if (wasEmpty)
        {
            _work.Set();
        }
    }

    private void Run()
    {
        while (true)
        {
            IDeferredWake? target = null;
            long wait = 0;
            lock (_gate)
            {
                if (_due.TryPeek(out _, out long due))
                {
                    wait = due - Stopwatch.GetTimestamp();
                    if (wait <= 0)
                    {
                        target = _due.Dequeue();
                    }
                }
                else
                {
                    // Reset under the lock: a Schedule after this sees an empty heap and sets the event.
                    _work.Reset();
                }
            }

            if (target is not null)
            {
                target.RunDeferredWake();
            }
            else if (wait > 0)
            {
                SleepFor(Math.Min(wait * 1_000_000 / Stopwatch.Frequency, SliceMicroseconds));
            }
            else
            {
                _work.Wait();
            }
        }
    }

    private static void SleepFor(long microseconds)
    {
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD())
        {
            _ = usleep((uint)Math.Max(1, microseconds));
        }
        else
        {
            Thread.Sleep(TimeSpan.FromMicroseconds(microseconds));
        }
    }

    [LibraryImport("libc")]
    private static partial int usleep(uint microseconds);
}
