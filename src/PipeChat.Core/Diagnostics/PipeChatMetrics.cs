using System.Diagnostics.Metrics;

namespace PipeChat.Diagnostics;

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

    /// <summary>
    /// Every PipeChat metric, once: the meter's instruments and the Prometheus endpoint are both
    /// made from this list, so a metric cannot exist in one and not the other.
    /// </summary>
    public static IReadOnlyList<MetricDefinition> Definitions { get; } =
    [
        new("pipechat.connections.active", IsGauge: true, "{connection}", "TCP connections open now", s => s.Stats.Active),
        new("pipechat.connections.accepted", IsGauge: false, "{connection}", "TCP connections accepted", s => s.Stats.Accepted),
        new("pipechat.connections.rejected", IsGauge: false, "{connection}", "TCP connections closed on arrival because a connection limit was reached", s => s.Stats.RejectedMaxConnections) { Label = ("reason", "max-connections") },
        new("pipechat.connections.rejected", IsGauge: false, "{connection}", "TCP connections closed on arrival because a connection limit was reached", s => s.Stats.RejectedPerIp) { Label = ("reason", "per-ip") },
        new("pipechat.accept.backoff", IsGauge: false, "{pause}", "Pauses in accepting for lack of file descriptors or memory", s => s.Stats.AcceptBackoffs),
        new("pipechat.bytes.received", IsGauge: false, "By", "Bytes received from clients", s => s.Stats.BytesIn),
        new("pipechat.bytes.sent", IsGauge: false, "By", "Bytes sent to clients", s => s.Stats.BytesOut),
        new("pipechat.echo.messages", IsGauge: false, "{message}", "Echo: reads (TCP) or datagrams (UDP) echoed", s => s.MessagesEchoed?.Invoke()),
        new("pipechat.chat.lines_relayed", IsGauge: false, "{line}", "Chat: member lines relayed to their room, counted once each", s => s.LinesRelayed?.Invoke()),
        new("pipechat.chat.members_cut", IsGauge: false, "{member}", "Chat: members cut off as too slow", s => s.MembersCutOff?.Invoke()),
        new("pipechat.connections.idle_timeouts", IsGauge: false, "{connection}", "TCP connections closed by --idle-timeout", s => s.IdleTimeouts?.Invoke()),
        new("pipechat.chat.line_timeouts", IsGauge: false, "{connection}", "Chat: connections closed by --line-timeout (a line left unfinished)", s => s.LineTimeouts?.Invoke()),
        new("pipechat.chat.input_pauses", IsGauge: false, "{pause}", "Chat: times a member was not read because it used up --max-line-rate", s => s.InputPauses?.Invoke()),
        new("pipechat.udp.registrations", IsGauge: true, "{member}", "UDP chat: registrations held now", s => s.Registrations?.Invoke()),
        new("pipechat.cluster.linked", IsGauge: true, "{link}", "Chat cluster: 1 while the link to the NATS server is up, 0 while down", s => s.ClusterLinked?.Invoke()),
        new("pipechat.cluster.lines_out", IsGauge: false, "{line}", "Chat cluster: member lines published to the other nodes", s => s.ClusterLinesOut?.Invoke()),
        new("pipechat.cluster.lines_in", IsGauge: false, "{line}", "Chat cluster: member lines received from other nodes", s => s.ClusterLinesIn?.Invoke()),
        new("pipechat.cluster.lines_dropped", IsGauge: false, "{line}", "Chat cluster: member lines not sent to the other nodes (link down, queue full, publish failed)", s => s.ClusterLinesDropped?.Invoke()),
        new("pipechat.cluster.gaps", IsGauge: false, "{frame}", "Chat cluster: frames from other nodes that never arrived (sequence gaps, slow-consumer drops)", s => s.ClusterGaps?.Invoke()),
        new("pipechat.cluster.remote_members", IsGauge: true, "{member}", "Chat cluster: members on the other nodes, as last heard", s => s.ClusterRemoteMembers?.Invoke()),
        new("pipechat.udp.datagrams_dropped", IsGauge: false, "{datagram}", "UDP chat: datagrams dropped over --max-line-rate (or from new addresses while the limit table is full)", s => s.DatagramsDropped?.Invoke()),
    ];

    static PipeChatMetrics()
    {
        foreach (var series in Definitions.GroupBy(d => d.Name))
        {
            var definition = series.First();
            var members = series.ToArray();
            if (definition.IsGauge)
            {
                Meter.CreateObservableUpDownCounter(definition.Name, () => Observe(members), definition.Unit, definition.Description);
            }
            else
            {
                Meter.CreateObservableCounter(definition.Name, () => Observe(members), definition.Unit, definition.Description);
            }
        }
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
