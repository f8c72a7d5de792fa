using System.Text;
using PipeChat.LoadTests.Harness;

namespace PipeChat.LoadTests.Reports;

/// <summary>Markdown versions of the reports.</summary>
public static class MarkdownReport
{
    /// <summary>Renders a run report.</summary>
    public static string Run(RunReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var s = report.Stats;
        var sb = new StringBuilder();
        sb.AppendLine($"# PipeChat load test: {s.Name}").AppendLine();
        sb.AppendLine($"- started: {report.StartedAt:yyyy-MM-dd HH:mm:ss} UTC");
        foreach (var (key, value) in s.Settings)
        {
            sb.AppendLine($"- {key}: {value}");
        }

        sb.AppendLine($"- load: {string.Join(", ", s.LoadSimulations)}");
        sb.AppendLine($"- measured: {Fmt.N(s.DurationSeconds)} s (after a {Fmt.N(s.WarmUpSeconds)} s warm-up that is not counted)");
        sb.AppendLine($"- load generator CPU: {Fmt.N(s.GeneratorCpuPercent, "0")} % of one core ({s.ProcessorCount} cores)").AppendLine();

        sb.AppendLine("## Summary").AppendLine();
        string rate = ResultNotes.RateLabel(s);
        sb.AppendLine($"| ok | failed | fail rate | starved conns | {rate} | min ms | mean ms | p50 ms | p75 ms | p95 ms | p99 ms | p99.9 ms | max ms | bytes in | bytes out |");
        sb.AppendLine("|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        var l = s.Latency;
        sb.AppendLine($"| {s.Ok} | {s.Failed} | {Fmt.Percent(s.FailRate)} | {ResultNotes.Starved(s)} | {Fmt.N(s.Rps, "0.#")} | {Fmt.Ms(l.MinUs)} | {Fmt.Ms(l.MeanUs)} | {Fmt.Ms(l.P50Us)} | {Fmt.Ms(l.P75Us)} | {Fmt.Ms(l.P95Us)} | {Fmt.Ms(l.P99Us)} | {Fmt.Ms(l.P999Us)} | {Fmt.Ms(l.MaxUs)} | {s.BytesIn} | {s.BytesOut} |");
        sb.AppendLine().AppendLine(ResultNotes.CountsNote(s)).AppendLine();
        if (ResultNotes.Warning(s) is { } warning)
        {
            sb.AppendLine($"**{warning}**").AppendLine();
        }
        AppendThresholds(sb, report.Thresholds);
        AppendErrorsAndMetrics(sb, s);

        sb.AppendLine("## Intervals").AppendLine();
        sb.AppendLine($"| # | end s | load | ok | failed | {rate} | p50 ms | p99 ms | max ms | CPU % |");
        sb.AppendLine("|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var i in s.Intervals)
        {
            sb.AppendLine($"| {i.Index} | {Fmt.N(i.StartSeconds + i.DurationSeconds, "0.0")} | {Fmt.N(i.TargetLoad, "0.#")} | {i.Ok} | {i.Failed} | {Fmt.N(i.Rps, "0")} | {Fmt.Ms(i.Latency.P50Us)} | {Fmt.Ms(i.Latency.P99Us)} | {Fmt.Ms(i.Latency.MaxUs)} | {Fmt.N(i.CpuPercent, "0")} |");
        }

        return sb.ToString();
    }

    /// <summary>Renders a compare report.</summary>
    public static string Compare(CompareReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var sb = new StringBuilder();
        sb.AppendLine($"# PipeChat compare: {report.Scenario}").AppendLine();
        sb.AppendLine($"- started: {report.StartedAt:yyyy-MM-dd HH:mm:ss} UTC");
        sb.AppendLine($"- models: {string.Join(", ", report.Models)}");
        sb.AppendLine($"- connections: {string.Join(", ", report.Connections)}");
        sb.AppendLine($"- server command: `{report.ServerCommand}`");
        foreach (var (key, value) in report.Settings)
        {
            sb.AppendLine($"- {key}: {value}");
        }

        sb.AppendLine("- one fresh server process per run; RSS/threads sampled from /proc/PID/status; loader and server share this machine's cores");
        sb.AppendLine($"- {ResultNotes.RankingRule}");
        sb.AppendLine($"- {ResultNotes.CompareCountsNote}");
        sb.AppendLine($"- {ResultNotes.CpuPerOpNote}");
        bool rounds = report.Rounds > 1;
        if (rounds)
        {
            sb.AppendLine($"- {ResultNotes.RoundsNote}");
        }

        sb.AppendLine();
        var best = ResultNotes.Best(report);
        string rate = CompareRate(report);
        sb.AppendLine($"| model | conns | {rate} |{(rounds ? $" rounds | {rate} spread |" : string.Empty)} p50 ms | p99 ms | p99.9 ms | ok | failed | fail rate | starved conns | peak RSS MiB | HWM MiB | threads | server CPU % | server µs/op | loader CPU % | verdict |");
        sb.AppendLine($"|---|--:|--:|{(rounds ? "--:|--:|" : string.Empty)}--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|");
        foreach (var r in report.Rows)
        {
            var s = r.Stats;
            var v = r.Server;
            string w = s is not null && !ResultNotes.IsClean(s) ? " " + ResultNotes.Warn : string.Empty;
            string roundCells = rounds ? $" {ResultNotes.RoundsText(r)} | {ResultNotes.SpreadText(r)} |" : string.Empty;
            sb.AppendLine(
                $"| {r.Model} | {r.Connections} | {(s is null ? "-" : Fmt.N(s.Rps, "0") + w)} |{roundCells} {(s is null ? "-" : Fmt.Ms(s.Latency.P50Us) + w)} | {(s is null ? "-" : Fmt.Ms(s.Latency.P99Us) + w)} | {(s is null ? "-" : Fmt.Ms(s.Latency.P999Us) + w)} | " +
                $"{(s is null ? "-" : Fmt.N(s.Ok))} | {(s is null ? "-" : Fmt.N(s.Failed))} | {(s is null ? "-" : Fmt.Percent(s.FailRate))} | {(s is null ? "-" : ResultNotes.Starved(s))} | " +
                $"{(v is null ? "-" : Fmt.MiB(v.PeakRssKb))} | {(v is null ? "-" : Fmt.MiB(v.HwmKb))} | {(v is null ? "-" : Fmt.N(v.MaxThreads))} | {(v is null ? "-" : Fmt.N(v.CpuPercent, "0"))} | {ResultNotes.ServerMicrosPerOpText(r)} | " +
                $"{(s is null ? "-" : Fmt.N(s.GeneratorCpuPercent, "0"))} | {ResultNotes.Verdict(r, best).Replace("|", "/", StringComparison.Ordinal)} |");
        }

        if (rounds)
        {
            sb.AppendLine().AppendLine($"## Rounds ({rate}; bold: the round shown, ✗: failed)").AppendLine();
            sb.AppendLine($"| model | conns | {string.Join(" | ", Enumerable.Range(1, report.Rounds).Select(i => $"round {i}"))} |");
            sb.AppendLine($"|---|--:|{string.Concat(Enumerable.Repeat("--:|", report.Rounds))}");
            foreach (var r in report.Rows)
            {
                sb.AppendLine($"| {r.Model} | {r.Connections} | {string.Join(" | ", ResultNotes.RoundCells(r, report.Rounds, markdown: true))} |");
            }
        }

        var failureRows = FailureRows(report);
        if (failureRows.Count > 0)
        {
            sb.AppendLine().AppendLine("## Failures by reason").AppendLine();
            sb.AppendLine("| model | conns | reason | count |");
            sb.AppendLine("|---|--:|---|--:|");
            foreach (var f in failureRows)
            {
                sb.AppendLine($"| {f[0]} | {f[1]} | {f[2].Replace("|", "/", StringComparison.Ordinal)} | {f[3]} |");
            }
        }

        var metricRows = report.Rows.Where(r => r.Stats is { Metrics.Count: > 0 }).ToArray();
        if (metricRows.Length > 0)
        {
            sb.AppendLine().AppendLine("## Scenario metrics").AppendLine();
            foreach (var r in metricRows)
            {
                sb.AppendLine($"- {r.Model} @ {r.Connections}: {string.Join(", ", r.Stats!.Metrics.Select(m => $"{m.Key}={Fmt.N(m.Value)}"))}");
            }
        }

        var rssRows = report.Rows.Where(r => r.Stats?.Series.ContainsKey(Scenarios.SoakScenario.RssSeries) == true).ToArray();
        if (rssRows.Length > 0)
        {
            sb.AppendLine().AppendLine("## Server RSS over time").AppendLine();
            foreach (var r in rssRows)
            {
                sb.AppendLine($"- {r.Model} @ {r.Connections}: {RssText(r.Stats!.Series[Scenarios.SoakScenario.RssSeries])}");
            }
        }

        return sb.ToString();
    }

    /// <summary>The throughput column of a compare report, in the scenario's unit (e.g. <c>lines delivered/s</c>).</summary>
    internal static string CompareRate(CompareReport report) =>
        (report.Rows.Select(r => r.Stats?.RequestNoun).FirstOrDefault(n => n is not null) ?? Harness.ScenarioDefinition.DefaultRequestNoun) + "/s";

    /// <summary>Every failure reason of a compare: model, conns, reason, count.</summary>
    internal static IReadOnlyList<string[]> FailureRows(CompareReport report) => report.Rows
        .Where(r => r.Stats is { Errors.Count: > 0 })
        .SelectMany(r => r.Stats!.Errors.OrderByDescending(e => e.Value).Select(e => new[] { r.Model, Fmt.N(r.Connections), e.Key, Fmt.N(e.Value) }))
        .ToArray();

    /// <summary>The RSS verdict of a soak in words (see <see cref="Scenarios.RssTrend"/>).</summary>
    public static string RssText(IReadOnlyList<SeriesPoint> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        if (Scenarios.RssTrend.Of(points) is not { } v)
        {
            return "RSS: too few samples to judge.";
        }

        return $"RSS {(v.Flat ? "**flat**" : "**growing**")}: over the second half it grew {Fmt.N(v.SecondHalfGrowthMiB)} MiB by its trend " +
            $"({Fmt.N(v.SecondHalfSlopeMiBPerMin)} MiB/min; first half {Fmt.N(v.FirstHalfSlopeMiBPerMin)} MiB/min), flat up to {Fmt.N(v.AllowedGrowthMiB)} MiB " +
            $"(5 % of the first half's mean, at least 1 MiB); first {Fmt.N(v.FirstMiB)} MiB, last {Fmt.N(v.LastMiB)} MiB, peak {Fmt.N(v.PeakMiB)} MiB.";
    }

    // At most `max` points, evenly spread, first and last kept.
    internal static IEnumerable<SeriesPoint> Thin(IReadOnlyList<SeriesPoint> points, int max)
    {
        if (points.Count <= max)
        {
            return points;
        }

        return Enumerable.Range(0, max).Select(i => points[(int)Math.Round((double)i * (points.Count - 1) / (max - 1))]);
    }

    private static void AppendThresholds(StringBuilder sb, IReadOnlyList<ThresholdResult> thresholds)
    {
        if (thresholds.Count == 0)
        {
            return;
        }

        sb.AppendLine("## Thresholds").AppendLine();
        sb.AppendLine("| threshold | actual | result |");
        sb.AppendLine("|---|--:|---|");
        foreach (var t in thresholds)
        {
            string actual = t.Actual is { } a ? t.Threshold.FormatValue(a) : "missing";
            sb.AppendLine($"| `{t.Threshold.Text}` | {actual} | {(t.Passed ? "ok" : "**BROKEN**")} |");
        }

        sb.AppendLine();
    }

    private static void AppendErrorsAndMetrics(StringBuilder sb, ScenarioStats s)
    {
        if (s.Errors.Count > 0)
        {
            sb.AppendLine("## Failures by reason").AppendLine();
            sb.AppendLine("| reason | count |");
            sb.AppendLine("|---|--:|");
            foreach (var (reason, count) in s.Errors.OrderByDescending(e => e.Value))
            {
                sb.AppendLine($"| {reason.Replace("|", "/", StringComparison.Ordinal)} | {count} |");
            }

            sb.AppendLine();
        }

        if (s.Metrics.Count > 0)
        {
            sb.AppendLine("## Scenario metrics").AppendLine();
            sb.AppendLine("| metric | value | meaning |");
            sb.AppendLine("|---|--:|---|");
            foreach (var (name, value) in s.Metrics)
            {
                sb.AppendLine($"| {name} | {Fmt.N(value)} | {MetricLabels.Of(name)} |");
            }

            sb.AppendLine();
        }

        foreach (var (name, points) in s.Series)
        {
            sb.AppendLine($"## {ReportCharts.SeriesTitle(name)}").AppendLine();
            if (name == Scenarios.SoakScenario.RssSeries)
            {
                sb.AppendLine(RssText(points)).AppendLine();
            }

            sb.AppendLine("| s | value |");
            sb.AppendLine("|--:|--:|");
            foreach (var p in Thin(points, 20))
            {
                sb.AppendLine($"| {Fmt.N(p.Seconds, "0.0")} | {Fmt.N(p.Value)} |");
            }

            sb.AppendLine();
        }
    }
}
