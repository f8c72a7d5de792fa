using Microsoft.Extensions.Logging;

namespace PipeChat.Protocols.Chat;

/// <summary>Limits of TCP chat (docs/options.md, docs/protocols.md). Off by default here; the server's defaults are in its options.</summary>
public sealed record ChatLimits
{
    /// <summary>The longest <see cref="MaxLine"/>: a line with its \r\n must fit what every model holds of unfinished input.</summary>
    public const int MaxLineLimit = Connections.InputBuffer.MaxSize - 2;

    private readonly int _maxLine = 4096;

    /// <summary>Longest line in bytes, newline and \r excluded (1 to <see cref="MaxLineLimit"/>).</summary>
    public int MaxLine
    {
        get => _maxLine;
        init => _maxLine = value is >= 1 and <= MaxLineLimit
            ? value
            : throw new ArgumentOutOfRangeException(nameof(MaxLine), value, $"must be from 1 to {MaxLineLimit}");
    }

    /// <summary>Bytes queued for one member before it is cut off as too slow.</summary>
    public int MaxPendingOutput { get; init; } = 1024 * 1024;

    /// <summary>When a busy room holds back wake-ups of its readers (default: a window that grows with the room).</summary>
    public WakeCoalescing WakeCoalescing { get; init; } = WakeCoalescing.Auto;

    /// <summary>Runs the deferred wake-ups of <see cref="WakeCoalescing"/> (the host supplies it); null: rooms wake at once.</summary>
    public IWakeScheduler? WakeScheduler { get; init; }

    /// <summary>Drop a member silent this long; zero is off.</summary>
    public TimeSpan IdleTimeout { get; init; }

    /// <summary>Close a connection whose unfinished line is this old (from its first byte); zero is off.</summary>
    public TimeSpan LineTimeout { get; init; }

    /// <summary>Lines (commands included) handled per member per second, bursts up to as many; zero is unlimited.</summary>
    public int MaxLineRate { get; init; }

    /// <summary>The clock of the deadlines and the line budget.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Where limits that are hit are logged (rate-limited); null: counted only.</summary>
    public ILogger? Logger { get; init; }
}
