using System.Collections.Concurrent;
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
    private static readonly ConcurrentQueue<(RoomRing Ring, long Due)> Due = new();
    private static readonly ManualResetEventSlim Work = new(false, spinCount: 0);
    private static int _started;
    private static int _idle;

    /// <summary>Wakes <paramref name="ring"/>'s sleepers at <paramref name="due"/> (a Stopwatch timestamp) or soon after.</summary>
    public static void Schedule(RoomRing ring, long due)
    {
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            new Thread(Run) { IsBackground = true, Name = "pipechat-chat-waker" }.Start();
        }

        Due.Enqueue((ring, due));
        if (Interlocked.Exchange(ref _idle, 0) == 1)
        {
            Work.Set();
        }
    }

    private static void Run()
    {
        while (true)
        {
            // Rooms share one window length, so due times arrive in (nearly) increasing order.
            while (Due.TryDequeue(out (RoomRing Ring, long Due) next))
            {
                SleepUntil(next.Due);
                next.Ring.DeferredWake();
            }

            Work.Reset();
            Volatile.Write(ref _idle, 1);
            if (!Due.IsEmpty)
            {
                Volatile.Write(ref _idle, 0);
                continue;
            }

            Work.Wait();
        }
    }

    private static void SleepUntil(long due)
    {
        long remaining = due - Stopwatch.GetTimestamp();
        if (remaining <= 0)
        {
            return;
        }

        long microseconds = remaining * 1_000_000 / Stopwatch.Frequency;
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD())
        {
            _ = usleep((uint)Math.Min(microseconds, 1_000_000));
        }
        else
        {
            Thread.Sleep(TimeSpan.FromMicroseconds(microseconds));
        }
    }

    [LibraryImport("libc")]
    private static partial int usleep(uint microseconds);
}
