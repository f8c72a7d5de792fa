using System.Buffers;
using Microsoft.Extensions.Logging;
using PipeChat.Diagnostics;

namespace PipeChat.Protocols.Echo;

/// <summary>
/// TCP echo (docs/protocols.md): every byte back, in order, unchanged. Stateless, so one session
/// instance serves every connection of a server and a connection costs the protocol nothing;
/// only with an idle timeout does each connection get a small session of its own (its deadline).
/// </summary>
public sealed class EchoProtocol : IStreamProtocol, IStreamSession, IDisposable
{
    /// <summary>A shared instance (tests, benchmarks); servers made by the factory get their own, for their own counters.</summary>
    public static readonly EchoProtocol Instance = new();

    private readonly SessionSweeper? _sweeper;
    // Per-core cells: with several event loops one shared long was a cache line every loop wrote per message.
    private readonly StripedCounter _messages = new();

    /// <summary>Echo; with <paramref name="idleTimeout"/> above zero a connection silent that long is closed (docs/protocols.md).</summary>
    public EchoProtocol(TimeSpan idleTimeout = default, TimeProvider? time = null, ILogger? logger = null)
    {
        time ??= TimeProvider.System;
        IdleTimeout = idleTimeout;
        IdleTimeouts = new LimitCounter("idle timeout", logger, time);
        if (idleTimeout > TimeSpan.Zero)
        {
            _sweeper = new SessionSweeper(time, idleTimeout);
        }
    }

    /// <summary>Close a connection silent this long; zero is off.</summary>
    public TimeSpan IdleTimeout { get; }

    /// <summary>Connections closed for silence.</summary>
    public LimitCounter IdleTimeouts { get; }

    /// <summary>Receive batches echoed (TCP has no message boundaries; this counts non-empty reads answered).</summary>
    public long MessagesEchoed => _messages.Value;

    /// <inheritdoc />
    public string Name => "echo";

    /// <inheritdoc />
    public IStreamSession CreateSession(IConnectionOutput connection)
    {
        if (_sweeper is null)
        {
            return this;
        }

        var session = new IdleEchoSession(this, _sweeper, connection);
        _sweeper.Add(session);
        return session;
    }

    /// <inheritdoc />
    public TimeSpan InputPause => TimeSpan.Zero;

    /// <inheritdoc />
    public SessionAction OnInput(in ReadOnlySequence<byte> input, bool inputEnded, IBufferWriter<byte> output, out SequencePosition consumed)
    {
        if (!input.IsEmpty)
        {
            Copy(input, output);
            _messages.Add(1);
        }

        consumed = input.End;

        // Half-close: everything received has now been written back; finish and close.
        return inputEnded ? SessionAction.Close : SessionAction.Continue;
    }

    /// <inheritdoc />
    public void OnServerStopping()
    {
    }

    /// <inheritdoc />
    public void OnClosed()
    {
    }

    /// <summary>Stops the idle-timeout sweeper.</summary>
    public void Dispose() => _sweeper?.Dispose();

    private static void Copy(in ReadOnlySequence<byte> input, IBufferWriter<byte> output)
    {
        if (input.IsSingleSegment)
        {
            output.Write(input.FirstSpan);
            return;
        }

        foreach (var segment in input)
        {
            output.Write(segment.Span);
        }
    }
}
