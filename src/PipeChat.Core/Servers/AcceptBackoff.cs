using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using PipeChat.Diagnostics;

namespace PipeChat.Servers;

/// <summary>
/// What an accept loop does when the process runs short of file descriptors or memory: pause
/// (5 ms, doubling up to 100 ms while the shortage lasts, so new clients are served again
/// within 100 ms of descriptors freeing up), count, and log at most once a second.
/// </summary>
/// <remarks>
/// The runtime itself needs descriptors: every new thread (a thread-pool worker, a connection
/// thread of the threads model) briefly takes a pipe, and a thread that cannot be created is an
/// OutOfMemoryException, which killed the process ("Out of memory.", SIGABRT) once the accepted
/// sockets had taken the last descriptors. So accepting also stops short of the limit: a socket
/// given one of the last <see cref="Reserve"/> descriptors is closed at once, as if accept had
/// failed with EMFILE.
/// </remarks>
internal sealed partial class AcceptBackoff(ServerStats stats, ILogger logger, TimeProvider? time = null)
{
    private static readonly TimeSpan First = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan Longest = TimeSpan.FromMilliseconds(100);

    private readonly LogThrottle _log = new(time ?? TimeProvider.System, TimeSpan.FromSeconds(1));
    private readonly LogThrottle _failureLog = new(time ?? TimeProvider.System, TimeSpan.FromSeconds(1));
    private TimeSpan _next = First;

    /// <summary>The soft RLIMIT_NOFILE, read once (Linux); long.MaxValue where unknown.</summary>
    public static long DescriptorLimit { get; } = ReadDescriptorLimit();

    /// <summary>Descriptors left to the runtime: 1/16 of the limit, from 8 to 64.</summary>
    public static long Reserve { get; } = Math.Clamp(DescriptorLimit / 16, 8, 64);

    /// <summary>Accept errors that mean "out of descriptors or memory", not "this one client failed".</summary>
    public static bool IsShortage(SocketError error) => error is
        SocketError.TooManyOpenSockets or       // EMFILE, ENFILE
        SocketError.NoBufferSpaceAvailable or   // ENOBUFS, ENOMEM
        SocketError.SystemNotReady;

    /// <summary>
    /// True when <paramref name="accepted"/> holds one of the last <see cref="Reserve"/> descriptors.
    /// Descriptors are allocated lowest first, so every lower one is in use.
    /// </summary>
    public static bool IsInReserve(Socket accepted) =>
        DescriptorLimit != long.MaxValue && (long)accepted.SafeHandle.DangerousGetHandle() >= DescriptorLimit - Reserve;

    /// <summary>Counts and logs one shortage; returns how long to pause before accepting again.</summary>
    public TimeSpan OnShortage(string cause)
    {
        stats.OnAcceptBackoff();
        var delay = _next;
        _next = delay * 2 > Longest ? Longest : delay * 2;
        if (_log.TryLog(out var suppressed))
        {
            Log.AcceptBackoff(logger, cause, suppressed);
        }

        return delay;
    }

    /// <summary>
    /// A failed accept: a shortage is counted, logged and paused for (the pause is returned); any
    /// other error is one client's trouble (e.g. it reset before we accepted): logged, no pause.
    /// </summary>
    public TimeSpan OnAcceptFailed(SocketError error)
    {
        if (IsShortage(error))
        {
            return OnShortage(error.ToString());
        }

        if (_failureLog.TryLog(out var suppressed))
        {
            Log.AcceptFailed(logger, error, suppressed);
        }

        return TimeSpan.Zero;
    }

    /// <summary>
    /// An accepted socket: if it holds a descriptor kept for the runtime it is closed and the pause
    /// before the next accept is returned; otherwise null, and the next shortage starts with the
    /// shortest pause again.
    /// </summary>
    public TimeSpan? OnAccepted(Socket accepted)
    {
        if (IsInReserve(accepted))
        {
            accepted.Dispose();
            return OnShortage("file descriptors nearly exhausted");
        }

        _next = First;
        return null;
    }

    private static long ReadDescriptorLimit()
    {
        if (!OperatingSystem.IsLinux())
        {
            return long.MaxValue;
        }

        const int RlimitNofile = 7;
        return getrlimit(RlimitNofile, out var limit) == 0 && limit.Current < long.MaxValue ? (long)limit.Current : long.MaxValue;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Rlimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    [LibraryImport("libc")]
    private static partial int getrlimit(int resource, out Rlimit limit);
}
