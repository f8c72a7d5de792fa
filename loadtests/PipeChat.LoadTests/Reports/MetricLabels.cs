namespace PipeChat.LoadTests.Reports;

/// <summary>What the scenario metrics mean, with their units, for the reports' metric tables.</summary>
public static class MetricLabels
{
    private static readonly Dictionary<string, string> Labels = new(StringComparer.Ordinal)
    {
        ["readers"] = "prompt readers in the room (count)",
        ["readers_cut"] = "readers the server cut off as too slow (count; docs/protocols.md wants 0)",
        ["flooder_cut"] = "the flooder was disconnected (1) or not (0)",
        ["flood_lines_sent"] = "lines (or /nick commands) the server took from the flooder (count)",
        ["flood_lines_per_s"] = "flooder lines written per second over the whole flood, socket buffers included (lines/s)",
        ["flood_received_per_reader_min"] = "flood lines (nick: notices) received by the reader that got fewest, of those not cut (count)",
        ["reader_lines_sent"] = "lines the readers said themselves (count)",
        ["reader_line_delay_max_ms"] = "longest delay of a reader's own line as seen by another reader (ms)",
        ["legit_success_pct"] = "legitimate visits that were served (%)",
        ["held_connected"] = "held (trickling) connections open when the load started (count)",
        ["held_closed_by_server"] = "held connections the server closed (count)",
        ["held_reconnects"] = "held connections reopened after a close (count)",
        ["held_bytes_trickled"] = "bytes the held connections trickled (bytes)",
        ["success_pct"] = "clients served (%)",
        ["waves"] = "waves of clients (count)",
        ["connect_p50_ms"] = "connect latency, median (ms)",
        ["connect_p99_ms"] = "connect latency, 99th percentile (ms)",
        ["connect_max_ms"] = "connect latency, max (ms)",
        ["refused"] = "connects refused (listen backlog full) (count)",
        ["reset"] = "connections reset or closed before the reply (count)",
        ["timeouts"] = "connects or replies past the timeout (count)",
        ["server_full"] = "chat clients told '! server full' (count)",
        ["rss_samples"] = "server RSS samples (count)",
        ["rss_first_mib"] = "server RSS, first sample (MiB)",
        ["rss_last_mib"] = "server RSS, last sample (MiB)",
        ["rss_peak_mib"] = "server RSS, largest sample (MiB)",
        ["rss_slope_first_half_mib_per_min"] = "server RSS trend over the first half (MiB/min)",
        ["rss_slope_second_half_mib_per_min"] = "server RSS trend over the second half (MiB/min)",
        ["rss_growth_second_half_mib"] = "server RSS growth over the second half, from its trend (MiB)",
        ["rss_growth_allowed_mib"] = "growth still called flat: max(5 % of the first half's mean, 1 MiB) (MiB)",
        ["rss_flat"] = "server RSS flat over the second half (1) or growing (0)",
        ["lost"] = "lines never delivered, whole run including warm-up (count)",
        ["members"] = "chat members that joined (count)",
        ["publishers"] = "members that also publish lines (count)",
        ["published"] = "lines the publishers sent, whole run including warm-up (count)",
        ["expected_deliveries"] = "deliveries due: each published line to every other member, whole run including warm-up (count)",
        ["delivered"] = "lines members received, whole run including warm-up (count; ok counts only the measured window)",
        ["out_of_order"] = "lines a member received out of order (count)",
        ["error_lines"] = "'! ...' error lines members received (count)",
        ["stalled_member"] = "an extra member that never reads was connected (1)",
        ["init_connect_failures"] = "connections that could not connect at the start (count)",
        ["members_closed_by_server"] = "members the server closed (count)",
        ["established"] = "connections established and confirmed (count)",
        ["alive_at_end"] = "connections still answering at the end (count)",
        ["time_to_establish_ms"] = "first connect to last established (ms)",
        ["generator_alloc_bytes_per_request"] = "load generator allocations per request (bytes)",
        ["inject_start_lag_mean_ms"] = "how late injected requests started, mean (ms)",
        ["inject_start_lag_max_ms"] = "how late injected requests started, max (ms)",
        ["inject_not_started"] = "injected requests that never started (count)",
    };

    /// <summary>Describes a metric; empty when it has no description.</summary>
    public static string Of(string metric) => Labels.TryGetValue(metric, out var label) ? label : string.Empty;
}
