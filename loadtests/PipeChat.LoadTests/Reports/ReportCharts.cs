namespace PipeChat.LoadTests.Reports;

/// <summary>The charts of a <c>run</c> report (per reporting interval) and of a <c>compare</c> report (per connection count).</summary>
public static class ReportCharts
{
    /// <summary>Charts over time for one run: throughput, latency percentiles, generator CPU.</summary>
    public static IReadOnlyList<SvgLineChart> ForRun(RunReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var iv = report.Stats.Intervals;
        ChartPoint P(Harness.IntervalStats i, double y) => new(i.StartSeconds + i.DurationSeconds, y);
        return
        [
            new SvgLineChart(
                "chart-rps",
                "Throughput per interval",
                "time (s)",
                ResultNotes.RateLabel(report.Stats),
                [
                    new ChartSeries("ok", iv.Select(i => P(i, i.Rps)).ToArray()),
                    new ChartSeries("failed", iv.Select(i => P(i, i.DurationSeconds > 0 ? i.Failed / i.DurationSeconds : 0)).ToArray()),
                ]),
            new SvgLineChart(
                "chart-latency",
                "Latency per interval",
                "time (s)",
                "latency (ms)",
                [
                    new ChartSeries("p50", iv.Where(i => i.Latency.Count > 0).Select(i => P(i, i.Latency.P50Us / 1000)).ToArray()),
                    new ChartSeries("p95", iv.Where(i => i.Latency.Count > 0).Select(i => P(i, i.Latency.P95Us / 1000)).ToArray()),
                    new ChartSeries("p99", iv.Where(i => i.Latency.Count > 0).Select(i => P(i, i.Latency.P99Us / 1000)).ToArray()),
                    new ChartSeries("p99.9", iv.Where(i => i.Latency.Count > 0).Select(i => P(i, i.Latency.P999Us / 1000)).ToArray()),
                ]),
            new SvgLineChart(
                "chart-cpu",
                "Load generator CPU per interval",
                "time (s)",
                "% of one core",
                [new ChartSeries("generator CPU", iv.Select(i => P(i, i.CpuPercent)).ToArray())]),
            .. report.Stats.Series.Select(kv => new SvgLineChart(
                "chart-" + kv.Key.Replace('_', '-'),
                SeriesTitle(kv.Key),
                "time (s)",
                SeriesUnit(kv.Key),
                [new ChartSeries(SeriesUnit(kv.Key), kv.Value.Select(p => new ChartPoint(p.Seconds, p.Value)).ToArray())])),
        ];
    }

    // soak: one line per model and connection count
    private static IEnumerable<SvgLineChart> RssOverTime(CompareReport report)
    {
        var lines = report.Rows
            .Where(r => r.Stats?.Series.ContainsKey(Scenarios.SoakScenario.RssSeries) == true)
            .Select(r => new ChartSeries(
                $"{r.Model} @ {r.Connections}",
                r.Stats!.Series[Scenarios.SoakScenario.RssSeries].Select(p => new ChartPoint(p.Seconds, p.Value)).ToArray()))
            .ToArray();
        return lines.Length == 0 ? [] : [new SvgLineChart("chart-rss-time", "Server RSS over time", "time (s)", "RSS (MiB)", lines)];
    }

    /// <summary>Gets the title of a scenario series.</summary>
    public static string SeriesTitle(string name) => name == Scenarios.SoakScenario.RssSeries ? "Server RSS over time" : name;

    private static string SeriesUnit(string name) => name == Scenarios.SoakScenario.RssSeries ? "RSS (MiB)" : name;

    /// <summary>Charts over connection counts, one line per model.</summary>
    public static IReadOnlyList<SvgLineChart> ForCompare(CompareReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        bool logX = report.Connections.Count > 1 && report.Connections.Min() > 0 && report.Connections.Max() >= 10 * report.Connections.Min();
        ChartSeries[] Lines(Func<CompareRow, double?> value, bool flag = false) => report.Models
            .Select(model => new ChartSeries(
                model,
                report.Rows.Where(r => r.Model == model && value(r) is not null)
                    .Select(r => new ChartPoint(r.Connections, value(r)!.Value, flag && r.Stats is { } s ? ResultNotes.Warning(s) : null)).ToArray()))
            .ToArray();
        bool tracked = report.Rows.Any(r => r.Stats is { Connections: > 0 });
        return
        [
            new SvgLineChart("chart-throughput", "Throughput vs connections (successful only)", "connections", MarkdownReport.CompareRate(report), Lines(r => r.Stats?.Rps, flag: true), logX),
            new SvgLineChart("chart-p99", "p99 latency vs connections (successful only)", "connections", "p99 latency (ms)", Lines(r => r.Stats is { Ok: > 0 } s ? s.Latency.P99Us / 1000 : null, flag: true), logX),
            new SvgLineChart("chart-failures", "Failed requests vs connections", "connections", "failed (% of all)", Lines(r => r.Stats is { } s ? s.FailRate * 100 : null), logX),
            .. tracked
                ? [new SvgLineChart("chart-starved", "Starved connections vs connections", "connections", "never got a reply (% of conns)", Lines(r => r.Stats is { Connections: > 0 } s ? 100.0 * s.StarvedConnections / s.Connections : null), logX)]
                : Array.Empty<SvgLineChart>(),
            new SvgLineChart("chart-rss", "Server memory (peak RSS) vs connections", "connections", "peak RSS (MiB)", Lines(r => r.Server is { Samples: > 0 } s ? s.PeakRssKb / 1024.0 : null), logX),
            new SvgLineChart("chart-threads", "Server threads vs connections", "connections", "threads (max)", Lines(r => r.Server is { Samples: > 0 } s ? s.MaxThreads : null), logX),
            .. RssOverTime(report),
        ];
    }
}
