using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PipeChat.Diagnostics;

namespace PipeChat.Protocols.Chat;

/// <summary>
/// TCP chat as a stream protocol: one <see cref="ChatHub"/> shared by all connections, one
/// <see cref="ChatSession"/> per connection. Any connection model can carry it.
/// </summary>
public sealed class ChatProtocol : IStreamProtocol, IDisposable
{
    private readonly SessionSweeper? _sweeper;

    /// <summary>Creates the chat protocol with its limits; <paramref name="hub"/> shares rooms with other listeners (a new hub when null).</summary>
    public ChatProtocol(ChatLimits limits, ChatHub? hub = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(limits);
        Limits = limits;
        Hub = hub ?? new ChatHub(maxPendingOutput: limits.MaxPendingOutput)
        {
            WakeCoalescing = limits.WakeCoalescing,
            WakeScheduler = limits.WakeScheduler,
            Logger = limits.Logger ?? NullLogger.Instance,
            TimeProvider = limits.Time,
        };
        IdleTimeouts = new LimitCounter("idle timeout", limits.Logger, limits.Time);
        LineTimeouts = new LimitCounter("line timeout", limits.Logger, limits.Time);
        LinesThrottled = new LimitCounter("max line rate (member paused)", limits.Logger, limits.Time);
        LinesTooLong = new LimitCounter("max line", limits.Logger, limits.Time);
        var deadlines = new[] { limits.IdleTimeout, limits.LineTimeout }.Where(t => t > TimeSpan.Zero).ToArray();
        if (deadlines.Length > 0)
        {
            _sweeper = new SessionSweeper(limits.Time, deadlines.Min());
        }
    }

    /// <summary>The rooms and members.</summary>
    public ChatHub Hub { get; }

    /// <summary>The hub's link to the other nodes of its cluster, ended after the drain; null outside a cluster.</summary>
    internal IAsyncDisposable? Cluster { get; set; }

    /// <summary>The limits every session is held to.</summary>
    public ChatLimits Limits { get; }

    /// <summary>Members dropped for silence.</summary>
    public LimitCounter IdleTimeouts { get; }

    /// <summary>Connections closed for a line left unfinished.</summary>
    public LimitCounter LineTimeouts { get; }

    /// <summary>Times a member's input was held back because it had used up its line budget.</summary>
    public LimitCounter LinesThrottled { get; }

    /// <summary>Connections closed for a line over <see cref="ChatLimits.MaxLine"/>.</summary>
    public LimitCounter LinesTooLong { get; }

    /// <inheritdoc />
    public string Name => "chat";

    internal TimeProvider Time => Limits.Time;

    /// <inheritdoc />
    public ReadOnlySpan<byte> ServerFullReply => "! server full\n"u8;

    /// <inheritdoc />
    public IStreamSession CreateSession(IConnectionOutput connection)
    {
        var session = new ChatSession(this, connection);
        _sweeper?.Add(session);
        session.Join();
        return session;
    }

    /// <inheritdoc />
    public void OnServerStopping() => Hub.BroadcastShutdown();

    /// <summary>Stops the deadline sweeper.</summary>
    public void Dispose() => _sweeper?.Dispose();

    internal void Forget(ChatSession session) => _sweeper?.Remove(session);
}
