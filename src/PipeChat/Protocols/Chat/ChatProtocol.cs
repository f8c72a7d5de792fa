using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace PipeChat.Protocols.Chat;

/// <summary>Limits of TCP chat (SPEC §2, §6).</summary>
public sealed record ChatLimits
{
    /// <summary>Longest line in bytes, newline and \r excluded.</summary>
    public int MaxLine { get; init; } = 4096;

    /// <summary>Bytes queued for one member before it is cut off as too slow.</summary>
    public int MaxPendingOutput { get; init; } = 1024 * 1024;

    /// <summary>When a busy room holds back wake-ups of its readers (default: a window that grows with the room).</summary>
    public WakeCoalescing WakeCoalescing { get; init; } = WakeCoalescing.Auto;

    /// <summary>Drop a member silent this long; zero is off.</summary>
    public TimeSpan IdleTimeout { get; init; }
}

/// <summary>
/// TCP chat as a stream protocol: one <see cref="ChatHub"/> shared by all connections, one
/// <see cref="ChatSession"/> per connection. Any connection model can carry it.
/// </summary>
public sealed class ChatProtocol : IStreamProtocol, IDisposable
{
    private readonly ConcurrentDictionary<ChatSession, byte> _sessions = new();
    private readonly Timer? _idleTimer;

    public ChatProtocol(ChatLimits limits, ChatHub? hub = null, ILogger? logger = null)
    {
        Limits = limits;
        Hub = hub ?? new ChatHub(maxPendingOutput: limits.MaxPendingOutput)
        {
            WakeCoalescing = limits.WakeCoalescing,
            Logger = logger ?? NullLogger.Instance,
        };
        if (limits.IdleTimeout > TimeSpan.Zero)
        {
            var period = TimeSpan.FromMilliseconds(Math.Clamp(limits.IdleTimeout.TotalMilliseconds / 4, 50, 1000));
            _idleTimer = new Timer(_ => ExpireIdle(), null, period, period);
        }
    }

    public ChatHub Hub { get; }

    public ChatLimits Limits { get; }

    /// <inheritdoc />
    public string Name => "chat";

    /// <inheritdoc />
    public IStreamSession CreateSession(IConnectionOutput connection)
    {
        var session = new ChatSession(this, connection);
        if (_idleTimer is not null)
        {
            _sessions[session] = 0;
        }

        session.Join();
        return session;
    }

    /// <inheritdoc />
    public void OnServerStopping() => Hub.BroadcastShutdown();

    public void Dispose() => _idleTimer?.Dispose();

    internal void Forget(ChatSession session) => _sessions.TryRemove(session, out _);

    private void ExpireIdle()
    {
        var now = Stopwatch.GetTimestamp();
        foreach (var session in _sessions.Keys)
        {
            if (Stopwatch.GetElapsedTime(session.LastInput, now) >= Limits.IdleTimeout)
            {
                session.DropIdle();
            }
        }
    }
}
