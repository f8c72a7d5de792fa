using System.Diagnostics.Metrics;

namespace PipeChat.Diagnostics;

/// <summary>What one running server exposes to the meter.</summary>
public sealed record MetricsSource
{
    public required ServerStats Stats { get; init; }

    public required string Model { get; init; }

    public required string Protocol { get; init; }

    public required string Transport { get; init; }

    public Func<long>? MessagesEchoed { get; init; }

    public Func<long>? LinesRelayed { get; init; }

    public Func<long>? MembersCutOff { get; init; }

    public Func<long>? Registrations { get; init; }

    internal KeyValuePair<string, object?>[] Tags => _tags ??=
    [
        new("model", Model),
        new("protocol", Protocol),
        new("transport", Transport),
    ];

    private KeyValuePair<string, object?>[]? _tags;
}

/// <summary>
/// The "PipeChat" meter (System.Diagnostics.Metrics). Every instrument is observable: values are
/// read from the servers' own counters when a listener collects, so the hot path pays nothing
/// and allocates nothing for metrics, whether or not anyone listens.
/// </summary>
public static class PipeChatMetrics
{
    /// <summary>The meter name, for `dotnet-counters monitor --counters PipeChat`.</summary>
    public const string MeterName = "PipeChat";

    private static readonly List<MetricsSource> Sources = [];

    static PipeChatMetrics()
    {
        Meter.CreateObservableUpDownCounter("pipechat.connections.active", () => Observe(s => s.Stats.Active), "{connection}", "TCP connections open now");
        Meter.CreateObservableCounter("pipechat.connections.accepted", () => Observe(s => s.Stats.Accepted), "{connection}", "TCP connections accepted");
        Meter.CreateObservableCounter("pipechat.connections.rejected", () => Observe(s => s.Stats.Rejected), "{connection}", "TCP connections closed on arrival because --max-connections was reached");
        Meter.CreateObservableCounter("pipechat.bytes.received", () => Observe(s => s.Stats.BytesIn), "By", "Bytes received from clients");
        Meter.CreateObservableCounter("pipechat.bytes.sent", () => Observe(s => s.Stats.BytesOut), "By", "Bytes sent to clients");
        Meter.CreateObservableCounter("pipechat.echo.messages", () => Observe(s => s.MessagesEchoed?.Invoke()), "{message}", "Echo: reads (TCP) or datagrams (UDP) echoed");
        Meter.CreateObservableCounter("pipechat.chat.lines_relayed", () => Observe(s => s.LinesRelayed?.Invoke()), "{line}", "Chat: member lines relayed to their room, counted once each");
        Meter.CreateObservableCounter("pipechat.chat.members_cut", () => Observe(s => s.MembersCutOff?.Invoke()), "{member}", "Chat: members cut off as too slow");
        Meter.CreateObservableUpDownCounter("pipechat.udp.registrations", () => Observe(s => s.Registrations?.Invoke()), "{member}", "UDP chat: registrations held now");
    }

    /// <summary>The meter itself.</summary>
    public static Meter Meter { get; } = new(MeterName, "1.0");

    /// <summary>Publishes a server's counters until the returned handle is disposed.</summary>
    public static IDisposable Register(MetricsSource source)
    {
        lock (Sources)
        {
            Sources.Add(source);
        }

        return new Registration(source);
    }

    /// <summary>The servers publishing now.</summary>
    public static IReadOnlyList<MetricsSource> Snapshot()
    {
        lock (Sources)
        {
            return [.. Sources];
        }
    }

    private static List<Measurement<long>> Observe(Func<MetricsSource, long?> read)
    {
        lock (Sources)
        {
            var measurements = new List<Measurement<long>>(Sources.Count);
            foreach (var source in Sources)
            {
                if (read(source) is { } value)
                {
                    measurements.Add(new Measurement<long>(value, source.Tags));
                }
            }

            return measurements;
        }
    }

    private sealed class Registration(MetricsSource source) : IDisposable
    {
        public void Dispose()
        {
            lock (Sources)
            {
                Sources.Remove(source);
            }
        }
    }
}
