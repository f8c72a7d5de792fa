using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace PipeChat.Transport.Epoll;

/// <summary>
/// One epoll instance and the thread that waits on it. Sockets are registered once,
/// edge-triggered, for reading (writes too once a send had to wait: at most one epoll_ctl more
/// per connection), and every readiness event runs the socket's
/// operation inline on this thread (as the runtime's engine does with inline completions),
/// so a ping-pong message costs one epoll_wait share, one recv and one send: no thread hop,
/// no speculative recv. The loops are shared by every async server of the process, like the
/// runtime's own engine: a server with N loops (<see cref="TransportOptions.IoThreads"/>) uses the
/// first N, created on first use and never stopped.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed unsafe class EpollLoop
{
    private const int MaxEvents = 256;
    private const int PrefetchSocketAhead = 4;
    private const int PrefetchConnectionAhead = 2;
    private static readonly Lock SharedGate = new();
    private static EpollLoop[] s_shared = [];

    private readonly int _epoll;
    private readonly Lock _gate = new();
    private readonly Stack<int> _free = new();
    private EpollSocketIo?[] _table = new EpollSocketIo?[256];
    private uint[] _generations = new uint[256];
    private int _used;

    private EpollLoop(int index)
    {
        _epoll = epoll_create1(EPOLL_CLOEXEC);
        if (_epoll < 0)
        {
            throw new SocketException((int)SocketError.SocketError, $"epoll_create1 failed: errno {Marshal.GetLastPInvokeError()}");
        }

        var thread = new Thread(Run) { IsBackground = true, Name = $"PipeChat epoll {index}" };
        thread.UnsafeStart();
    }

    /// <summary>
    /// Loops when none are asked for: one per two cores (the rest is for the thread pool, the
    /// session work queued to it, and, on a load-test box, the clients).
    /// </summary>
    public static int DefaultCount => Math.Max(1, Environment.ProcessorCount / 2);

    /// <summary>The first <paramref name="count"/> loops of the process, started as needed.</summary>
    public static EpollLoop[] Group(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, TransportOptions.MaxIoThreads);
        lock (SharedGate)
        {
            if (s_shared.Length < count)
            {
                var loops = s_shared;
                Array.Resize(ref loops, count);
                for (var i = s_shared.Length; i < count; i++)
                {
                    loops[i] = new EpollLoop(i);
                }

                s_shared = loops;
            }

            return s_shared[..count];
        }
    }

    /// <summary>Adds a socket; sets the token its events carry (before any event can arrive).</summary>
    public void Register(EpollSocketIo io, int fd)
    {
        ulong token;
        lock (_gate)
        {
            if (!_free.TryPop(out var index))
            {
                index = _used++;
                if (index == _table.Length)
                {
                    // The loop reads the table afresh for every event, so it sees the new array
                    // before any event of a socket registered into it.
                    Array.Resize(ref _generations, index * 2);
                    var table = _table;
                    Array.Resize(ref table, index * 2);
                    Volatile.Write(ref _table, table);
                }
            }

            token = ((ulong)_generations[index] << 32) | (uint)index;
            io.Token = token;
            Volatile.Write(ref _table[index], io);
        }

        // Write readiness only once a send waits (WatchWrites): most sockets never fill their buffer.
        var ev = default(epoll_event);
        ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
        ev.data.u64 = token;
        if (epoll_ctl(_epoll, EPOLL_CTL_ADD, fd, &ev) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            Unregister(token);
            throw new SocketException((int)EpollSocketIo.ToSocketError(errno));
        }
    }

    /// <summary>Adds write readiness (EPOLLOUT) to a registered socket's events; the fd must be held open.</summary>
    public void WatchWrites(int fd, ulong token)
    {
        var ev = default(epoll_event);
        ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
        ev.data.u64 = token;

        // Fails only for a socket no longer registered (closing): its sends fail anyway.
        _ = epoll_ctl(_epoll, EPOLL_CTL_MOD, fd, &ev);
    }

    /// <summary>
    /// Forgets a socket (its fd is closed or about to be: the kernel drops it from the set).
    /// Events already read for it are ignored, as its slot's generation moves on.
    /// </summary>
    public void Unregister(ulong token)
    {
        var index = (int)(uint)token;
        lock (_gate)
        {
            if ((uint)index < (uint)_used && _generations[index] == (uint)(token >> 32))
            {
                _generations[index]++;
                Volatile.Write(ref _table[index], null);
                _free.Push(index);
            }
        }
    }

    /// <summary>
    /// Asks the CPU for the objects of the sockets a few events ahead: with hundreds of
    /// connections each event's socket, connection and session driver objects are cold, and waiting for them
    /// one after the other was a good part of the per-message cost. The connection object
    /// and its driver are found through the socket object prefetched on an earlier round. A stale slot only wastes a prefetch.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Prefetch(EpollSocketIo?[] table, epoll_event* events, int i, int count)
    {
        if (!Sse.IsSupported)
        {
            return;
        }

        if (i + PrefetchSocketAhead < count && Slot(table, events[i + PrefetchSocketAhead].data.u64) is { } far)
        {
            PrefetchObject(far);
        }

        if (i + PrefetchConnectionAhead < count && Slot(table, events[i + PrefetchConnectionAhead].data.u64) is { } near)
        {
            PrefetchObject(near.CallbackObject);
            if (near.Companion is { } companion)
            {
                PrefetchObject(companion);
            }
        }
    }

    private static EpollSocketIo? Slot(EpollSocketIo?[] table, ulong token)
    {
        var index = (int)(uint)token;
        return (uint)index < (uint)table.Length ? table[index] : null;
    }

    /// <summary>The object's first two cache lines (its header and fields).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchObject(object target)
    {
        var address = (byte*)Unsafe.As<object, nint>(ref target);
        Sse.Prefetch0(address);
        Sse.Prefetch0(address + 64);
    }

    private void Run()
    {
        var events = stackalloc epoll_event[MaxEvents];
        while (true)
        {
            var count = epoll_wait(_epoll, events, MaxEvents, -1);
            if (count < 0)
            {
                if (Marshal.GetLastPInvokeError() == EINTR)
                {
                    continue;
                }

                // Only a broken epoll fd fails here: nothing this process can serve through it.
                Environment.FailFast($"epoll_wait failed: errno {Marshal.GetLastPInvokeError()}");
            }

            for (var i = 0; i < count; i++)
            {
                var token = events[i].data.u64;
                var table = Volatile.Read(ref _table);
                Prefetch(table, events, i, count);
                var index = (int)(uint)token;
                if ((uint)index >= (uint)table.Length || Volatile.Read(ref table[index]) is not { } io || io.Token != token)
                {
                    continue; // Closed since.
                }

                try
                {
                    io.OnEvents(events[i].events);
                }
#pragma warning disable CA1031 // One connection's failure must not stop every other one's I/O.
                catch (Exception e)
#pragma warning restore CA1031
                {
                    io.Fail(e);
                }
            }
        }
    }
}
