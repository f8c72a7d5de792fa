namespace PipeChat.Diagnostics;

/// <summary>What one running server exposes to the meter.</summary>
public sealed record MetricsSource
{
    /// <summary>The server's own counters.</summary>
    public required ServerStats Stats { get; init; }

    /// <summary>The connection model, as the <c>model</c> tag.</summary>
    public required string Model { get; init; }

    /// <summary>The protocol, as the <c>protocol</c> tag.</summary>
    public required string Protocol { get; init; }

    /// <summary><c>tcp</c> or <c>udp</c>, as the <c>transport</c> tag.</summary>
    public required string Transport { get; init; }

    /// <summary>Echo: reads (TCP) or datagrams (UDP) echoed.</summary>
    public Func<long>? MessagesEchoed { get; init; }

    /// <summary>Chat: lines relayed to their room.</summary>
    public Func<long>? LinesRelayed { get; init; }

    /// <summary>Chat: members cut off as too slow.</summary>
    public Func<long>? MembersCutOff { get; init; }

    /// <summary>UDP chat: registrations held now.</summary>
    public Func<long>? Registrations { get; init; }

    /// <summary>Connections closed by the idle timeout.</summary>
    public Func<long>? IdleTimeouts { get; init; }

    /// <summary>Chat: connections closed by the line timeout.</summary>
    public Func<long>? LineTimeouts { get; init; }

    /// <summary>Chat: times a member was not read for using up its line rate.</summary>
    public Func<long>? InputPauses { get; init; }

    /// <summary>UDP chat: datagrams dropped by the flood limits.</summary>
    public Func<long>? DatagramsDropped { get; init; }

    internal KeyValuePair<string, object?>[] Tags => _tags ??=
    [
        new("model", Model),
        new("protocol", Protocol),
        new("transport", Transport),
    ];

    private KeyValuePair<string, object?>[]? _tags;
}
