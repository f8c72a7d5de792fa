using System.Diagnostics.Metrics;

namespace PipeChat.Diagnostics;

/// <summary>
/// The "PipeChat" meter (System.Diagnostics.Metrics). Every instrument but the TLS handshake
/// duration histogram (recorded once per handshake, off the message path) is observable: values are
/// read from the servers' own counters when a listener collects, so the hot path pays nothing
/// and allocates nothing for metrics, whether or not anyone listens.
/// </summary>
public static class PipeChatMetrics
{
    /// <summary>The meter name, for `dotnet-counters monitor --counters PipeChat`.</summary>
    public const string MeterName = "PipeChat";

    private static readonly List<MetricsSource> Sources = [];

    private static readonly List<MetricDefinition> Defined = [];
    private static readonly HashSet<string> Instruments = new(StringComparer.Ordinal);

    /// <summary>
    /// The metrics every server has (connections, bytes, limits): with the counters of the
    /// protocols registered so far (<see cref="ProtocolCounter"/>), they are <see cref="Definitions"/>.
    /// </summary>
    public static IReadOnlyList<MetricDefinition> ServerDefinitions { get; } =
    [
        new("pipechat.connections.active", IsGauge: true, "{connection}", "TCP connections open now", s => s.Stats.Active),
        new("pipechat.connections.accepted", IsGauge: false, "{connection}", "TCP connections accepted", s => s.Stats.Accepted),
        new("pipechat.connections.rejected", IsGauge: false, "{connection}", "TCP connections closed on arrival because a connection limit was reached", s => s.Stats.RejectedMaxConnections) { Label = ("reason", "max-connections") },
        new("pipechat.connections.rejected", IsGauge: false, "{connection}", "TCP connections closed on arrival because a connection limit was reached", s => s.Stats.RejectedPerIp) { Label = ("reason", "per-ip") },
        new("pipechat.accept.backoff", IsGauge: false, "{pause}", "Pauses in accepting for lack of file descriptors or memory", s => s.Stats.AcceptBackoffs),
        new("pipechat.bytes.received", IsGauge: false, "By", "Bytes received from clients", s => s.Stats.BytesIn),
        new("pipechat.bytes.sent", IsGauge: false, "By", "Bytes sent to clients", s => s.Stats.BytesOut),
        new("pipechat.tls.handshakes", IsGauge: false, "{handshake}", "TLS handshakes completed", s => s.Tls?.Handshakes),
        new("pipechat.tls.handshake_failures", IsGauge: false, "{handshake}", "TLS handshakes failed, by reason", s => s.Tls?.Timeouts) { Label = ("reason", "timeout") },
        new("pipechat.tls.handshake_failures", IsGauge: false, "{handshake}", "TLS handshakes failed, by reason", s => s.Tls?.ProtocolErrors) { Label = ("reason", "protocol") },
        new("pipechat.tls.handshake_failures", IsGauge: false, "{handshake}", "TLS handshakes failed, by reason", s => s.Tls?.OtherFailures) { Label = ("reason", "other") },
        new("pipechat.tls.connections.active", IsGauge: true, "{connection}", "TLS connections open now (handshake completed)", s => s.Tls?.Active),
        new("pipechat.tls.reloads", IsGauge: false, "{reload}", "TLS certificate reloads (SIGHUP), by result", s => s.Tls?.Reloads) { Label = ("result", "ok") },
        new("pipechat.tls.reloads", IsGauge: false, "{reload}", "TLS certificate reloads (SIGHUP), by result", s => s.Tls?.ReloadFailures) { Label = ("result", "failed") },
        .. TlsStats.DurationBounds.Select((bound, i) => new MetricDefinition("pipechat.tls.handshakes_within", IsGauge: false, "{handshake}", "TLS handshakes completed within le seconds (cumulative buckets of the handshake duration)", s => s.Tls?.HandshakesWithin(i)) { Label = ("le", bound.ToString(System.Globalization.CultureInfo.InvariantCulture)) }),
        new("pipechat.tls.handshakes_within", IsGauge: false, "{handshake}", "TLS handshakes completed within le seconds (cumulative buckets of the handshake duration)", s => s.Tls?.HandshakesWithin(TlsStats.DurationBounds.Length)) { Label = ("le", "+Inf") },
    ];

    static PipeChatMetrics()
    {
        foreach (var series in ServerDefinitions.GroupBy(d => d.Name))
        {
            Instrument(series.ToArray());
        }

        Defined.AddRange(ServerDefinitions);
    }

    /// <summary>
    /// Every PipeChat metric, once: the meter's instruments and the Prometheus endpoint are both
    /// made from this list, so a metric cannot exist in one and not the other.
    /// </summary>
    public static IReadOnlyList<MetricDefinition> Definitions
    {
        get
        {
            lock (Sources)
            {
                return [.. Defined];
            }
        }
    }

    /// <summary>The meter itself.</summary>
    public static Meter Meter { get; } = new(MeterName, "1.0");

    /// <summary>Publishes a server's counters until the returned handle is disposed.</summary>
    /// <exception cref="ArgumentException">A counter reuses a name with another kind or unit.</exception>
    public static IDisposable Register(MetricsSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        lock (Sources)
        {
            foreach (var counter in source.Counters)
            {
                Define(counter);
            }

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

    // A protocol counter's name becomes an instrument the first time a server registers it.
    private static void Define(ProtocolCounter counter)
    {
        if (Defined.Find(d => d.Name == counter.Name) is { } known)
        {
            if (known.IsGauge != counter.IsGauge || known.Unit != counter.Unit)
            {
                throw new ArgumentException($"metric {counter.Name} is already defined as a {(known.IsGauge ? "gauge" : "counter")} in {known.Unit}", nameof(counter));
            }

            return;
        }

        var definition = counter.Definition;
        Defined.Add(definition);
        Instrument([definition]);
    }

    private static void Instrument(MetricDefinition[] series)
    {
        var definition = series[0];
        if (!Instruments.Add(definition.Name))
        {
            return;
        }

        if (definition.IsGauge)
        {
            Meter.CreateObservableUpDownCounter(definition.Name, () => Observe(series), definition.Unit, definition.Description);
        }
        else
        {
            Meter.CreateObservableCounter(definition.Name, () => Observe(series), definition.Unit, definition.Description);
        }
    }

    private static List<Measurement<long>> Observe(MetricDefinition[] series)
    {
        lock (Sources)
        {
            var measurements = new List<Measurement<long>>(Sources.Count * series.Length);
            foreach (var source in Sources)
            {
                foreach (var definition in series)
                {
                    if (definition.Read(source) is { } value)
                    {
                        measurements.Add(new Measurement<long>(value, definition.Label is { } label ? [.. source.Tags, new(label.Name, label.Value)] : source.Tags));
                    }
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
