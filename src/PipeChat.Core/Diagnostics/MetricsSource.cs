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

    /// <summary>The protocol's own counters (see <see cref="ProtocolCounter"/>).</summary>
    public IReadOnlyList<ProtocolCounter> Counters { get; init; } = [];

    /// <summary>TLS counters, when the server speaks TLS.</summary>
    internal TlsStats? Tls { get; init; }

    /// <summary>A line the protocol adds to <c>/healthz</c> (e.g. a chat node's cluster link); null: none.</summary>
    internal Func<string?>? Health { get; init; }

    internal KeyValuePair<string, object?>[] Tags => _tags ??=
    [
        new("model", Model),
        new("protocol", Protocol),
        new("transport", Transport),
    ];

    private KeyValuePair<string, object?>[]? _tags;

    /// <summary>The value of this server's counter named <paramref name="name"/>, or null when its protocol has none.</summary>
    internal long? Read(string name)
    {
        foreach (var counter in Counters)
        {
            if (counter.Name == name)
            {
                return counter.Read();
            }
        }

        return null;
    }
}
