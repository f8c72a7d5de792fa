using System.Diagnostics;
using System.Runtime.InteropServices;

namespace PipeChat.Protocols.Chat;

/// <summary>
/// Runs the deferred wake-ups of busy rooms (<see cref="RoomRing"/>) at their due time, with sub-millisecond
/// precision: .NET timers and sleeps count whole milliseconds, which is as long as the whole coalescing
/// window. One background thread for the process, asleep while no room is busy.
/// </summary>
internal static partial class WakeScheduler
{
    // Rooms' windows differ (they grow with the room), so due times come out of order: a heap, not a queue.
    private static readonly PriorityQueue<RoomRing, long> Due = new();
    private static readonly Lock Gate = new();
    private static readonly ManualResetEventSlim Work = new(false, spinCount: 0);

    // A sleep is cut into slices this long at most, so a wake-up due sooner than the one slept for is
    // at most this late.
    private const long SliceMicroseconds = 1000;
    private static int _started;

    /// <summary>Wakes <paramref name="ring"/>'s sleepers at <paramref name="due"/> (a Stopwatch timestamp) or soon after.</summary>
    public static void Schedule(RoomRing ring, long due)
    {
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            new Thread(Run) { IsBackground = true, Name = "pipechat-chat-waker" }.Start();
        }

        bool wasEmpty;
        lock (Gate)
        {
            wasEmpty = Due.Count == 0;
            Due.Enqueue(ring, due);
        }

        if (wasEmpty)
        {
            Work.Set();
        }
    }

    private static void Run()
    {
        while (true)
        {
            RoomRing? ring = null;
            long wait = 0;
            lock (Gate)
            {
                if (Due.TryPeek(out RoomRing? next, out long due))
                {
                    wait = due - Stopwatch.GetTimestamp();
                    if (wait <= 0)
                    {
                        ring = Due.Dequeue();
                    }
                }
                else
                {
                    // Reset under the lock: a Schedule after this sees an empty heap and sets the event.
                    Work.Reset();
                }
            }

            if (ring is not null)
            {
                ring.DeferredWake();
            }
            else if (wait > 0)
            {
                SleepFor(Math.Min(wait * 1_000_000 / Stopwatch.Frequency, SliceMicroseconds));
            }
            else
            {
                Work.Wait();
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
