using System.Collections.Concurrent;

namespace PipeChat.LoadTests.Sockets;

/// <summary>
/// Enforces operation timeouts for many sockets with one timer: each connection writes a deadline
/// before an operation and clears it after; every <see cref="Period"/> the watchdog closes the
/// sockets whose deadline passed, which fails their pending operation. An operation therefore
/// costs two field writes instead of arming and disarming a timer, and times out between its
/// timeout and its timeout + <see cref="Period"/>.
/// </summary>
internal static class SocketWatchdog
{
    /// <summary>How often deadlines are checked.</summary>
    public static readonly TimeSpan Period = TimeSpan.FromMilliseconds(50);

    private static readonly ConcurrentDictionary<IDeadline, byte> Watched = new();
    private static readonly Timer Ticker = new(_ => Check(), null, Period, Period);

    /// <summary>Something with an operation deadline.</summary>
    internal interface IDeadline
    {
        /// <summary>Gets the deadline in <see cref="Environment.TickCount64"/> milliseconds, 0 when idle.</summary>
        long Deadline { get; }

        /// <summary>Fails the pending operation (closes the socket).</summary>
        void Expire();
    }

    public static void Add(IDeadline item)
    {
        GC.KeepAlive(Ticker);
        Watched.TryAdd(item, 0);
    }

    public static void Remove(IDeadline item) => Watched.TryRemove(item, out _);

    private static void Check()
    {
        long now = Environment.TickCount64;
        foreach (var item in Watched.Keys)
        {
            long deadline = item.Deadline;
            if (deadline != 0 && now > deadline)
            {
                Watched.TryRemove(item, out _);
                item.Expire();
            }
        }
    }
}
