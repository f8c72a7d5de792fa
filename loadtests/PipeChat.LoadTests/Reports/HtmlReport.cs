using System.Net;
using System.Text;

namespace PipeChat.LoadTests.Reports;

/// <summary>
/// One self-contained HTML page per report: inline CSS, inline SVG charts drawn by
/// <see cref="SvgLineChart"/>, no scripts, and no references to anything outside the file.
/// </summary>
public static class HtmlReport
{
    private const string Style = """
        body { font-family: sans-serif; margin: 24px; color: #222; }
        h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 28px; }
        table { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
        th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
        th { background: #f3f3f3; } td { white-space: nowrap; } td.l, th.l { text-align: left; white-space: normal; }
        .broken { color: #b00; font-weight: bold; } .ok { color: #070; }
        tr.flagged td { background: #fdecea; } td.suspect { color: #888; text-decoration: line-through; }
        td.warn, p.warn { color: #b00; font-weight: bold; } td.best { color: #070; font-weight: bold; }
        p.note { font-size: 13px; max-width: 1100px; }
        .charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 16px; }
        svg.chart { border: 1px solid #ddd; background: #fff; width: 100%; height: auto; display: block; }
        ul.settings { font-size: 13px; }
        """;

    /// <summary>Renders a run report.</summary>
    public static string Run(RunReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var s = report.Stats;
        var sb = Begin($"PipeChat load test: {s.Name}");
        sb.Append("<ul class=\"settings\">\n");
        Li(sb, "started", $"{report.StartedAt:yyyy-MM-dd HH:mm:ss} UTC");
        foreach (var (key, value) in s.Settings)
        {
            Li(sb, key, value);
        }

        Li(sb, "load", string.Join(", ", s.LoadSimulations));
        Li(sb, "measured", $"{Fmt.N(s.DurationSeconds)} s (after a {Fmt.N(s.WarmUpSeconds)} s warm-up that is not counted)");
        Li(sb, "load generator CPU", $"{Fmt.N(s.GeneratorCpuPercent, "0")} % of one core ({s.ProcessorCount} cores)");
        sb.Append("</ul>\n<h2>Summary</h2>\n");
        var l = s.Latency;
        string rate = ResultNotes.RateLabel(s);
        Table(
            sb,
            ["ok", "failed", "fail rate", "starved conns", rate, "min ms", "mean ms", "p50 ms", "p75 ms", "p95 ms", "p99 ms", "p99.9 ms", "max ms", "bytes in", "bytes out"],
            [[Fmt.N(s.Ok), Fmt.N(s.Failed), Fmt.Percent(s.FailRate), ResultNotes.Starved(s), Fmt.N(s.Rps, "0.#"), Fmt.Ms(l.MinUs), Fmt.Ms(l.MeanUs), Fmt.Ms(l.P50Us), Fmt.Ms(l.P75Us), Fmt.Ms(l.P95Us), Fmt.Ms(l.P99Us), Fmt.Ms(l.P999Us), Fmt.Ms(l.MaxUs), Fmt.N(s.BytesIn), Fmt.N(s.BytesOut)]]);
        sb.Append("<p class=\"note\">").Append(E(ResultNotes.CountsNote(s))).Append("</p>\n");
        if (ResultNotes.Warning(s) is { } warning)
        {
            sb.Append("<p class=\"warn\">").Append(E(warning)).Append("</p>\n");
        }

        if (report.Thresholds.Count > 0)
        {
            sb.Append("<h2>Thresholds</h2>\n<table><tr><th class=\"l\">threshold</th><th>actual</th><th class=\"l\">result</th></tr>\n");
            foreach (var t in report.Thresholds)
            {
                string actual = t.Actual is { } a ? t.Threshold.FormatValue(a) : "missing";
                sb.Append($"<tr><td class=\"l\">{E(t.Threshold.Text)}</td><td>{E(actual)}</td><td class=\"l {(t.Passed ? "ok" : "broken")}\">{(t.Passed ? "ok" : "BROKEN")}</td></tr>\n");
            }

            sb.Append("</table>\n");
        }

        if (s.Errors.Count > 0)
        {
            sb.Append("<h2>Failures by reason</h2>\n");
            Table(sb, ["reason", "count"], s.Errors.OrderByDescending(e => e.Value).Select(e => new[] { e.Key, Fmt.N(e.Value) }).ToArray());
        }

        if (s.Metrics.Count > 0)
        {
            sb.Append("<h2>Scenario metrics</h2>\n");
            Table(sb, ["metric", "value", "meaning"], s.Metrics.Select(m => new[] { m.Key, Fmt.N(m.Value), MetricLabels.Of(m.Key) }).ToArray());
        }

        if (s.Series.TryGetValue(Scenarios.SoakScenario.RssSeries, out var rss))
        {
            sb.Append("<h2>Server RSS over time</h2>\n<p>").Append(E(MarkdownReport.RssText(rss).Replace("**", string.Empty, StringComparison.Ordinal))).Append("</p>\n");
        }

        Charts(sb, ReportCharts.ForRun(report));
        sb.Append("<h2>Intervals</h2>\n");
        Table(
            sb,
            ["#", "end s", "load", "ok", "failed", rate, "p50 ms", "p99 ms", "max ms", "CPU %"],
            s.Intervals.Select(i => new[]
            {
                Fmt.N(i.Index), Fmt.N(i.StartSeconds + i.DurationSeconds, "0.0"), Fmt.N(i.TargetLoad, "0.#"), Fmt.N(i.Ok), Fmt.N(i.Failed),
                Fmt.N(i.Rps, "0"), Fmt.Ms(i.Latency.P50Us), Fmt.Ms(i.Latency.P99Us), Fmt.Ms(i.Latency.MaxUs), Fmt.N(i.CpuPercent, "0"),
            }).ToArray());
        return End(sb);
    }

    /// <summary>Renders a compare report.</summary>
    public static string Compare(CompareReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var sb = Begin($"PipeChat compare: {report.Scenario}");
        sb.Append("<ul class=\"settings\">\n");
        Li(sb, "started", $"{report.StartedAt:yyyy-MM-dd HH:mm:ss} UTC");
        Li(sb, "models", string.Join(", ", report.Models));
        Li(sb, "connections", string.Join(", ", report.Connections));
        Li(sb, "server command", report.ServerCommand);
        foreach (var (key, value) in report.Settings)
        {
            Li(sb, key, value);
        }

        Li(sb, "note", "one fresh server process per run; RSS and threads sampled from /proc/PID/status; load generator and server share this machine's cores");
        Li(sb, "note", ResultNotes.CpuPerOpNote);
        bool rounds = report.Rounds > 1;
        sb.Append("</ul>\n<p class=\"note\">").Append(E(ResultNotes.RankingRule)).Append("<br>").Append(E(ResultNotes.CompareCountsNote));
        if (rounds)
        {
            sb.Append("<br>").Append(E(ResultNotes.RoundsNote));
        }

        sb.Append("</p>\n");
        var best = ResultNotes.Best(report);
        string rate = MarkdownReport.CompareRate(report);
        sb.Append("<h2>Results</h2>\n<table>\n<tr>");
        string[] roundHeaders = rounds ? ["rounds", rate + " spread"] : [];
        foreach (var h in new[] { "model", "conns", rate }.Concat(roundHeaders).Concat(["p50 ms", "p99 ms", "p99.9 ms", "ok", "failed", "fail rate", "starved conns", "peak RSS MiB", "HWM MiB", "threads", "server CPU %", "server µs/op", "loader CPU %", "verdict"]))
        {
            sb.Append(h is "model" or "verdict" ? "<th class=\"l\">" : "<th>").Append(E(h)).Append("</th>");
        }

        sb.Append("</tr>\n");
        foreach (var r in report.Rows)
        {
            var s = r.Stats;
            var v = r.Server;
            bool flagged = s is not null && !ResultNotes.IsClean(s);
            string verdict = ResultNotes.Verdict(r, best);
            string measured = flagged ? "<td class=\"suspect\" title=\"" + E(ResultNotes.Warning(s!)!) + "\">" : "<td>";
            string bad(bool b) => b ? "<td class=\"warn\">" : "<td>";
            sb.Append(flagged ? "<tr class=\"flagged\">" : "<tr>");
            sb.Append("<td class=\"l\">").Append(E(r.Model)).Append("</td><td>").Append(Fmt.N(r.Connections)).Append("</td>");
            foreach (var (cell, i) in new[] { s is null ? "-" : Fmt.N(s.Rps, "0"), s is null ? "-" : Fmt.Ms(s.Latency.P50Us), s is null ? "-" : Fmt.Ms(s.Latency.P99Us), s is null ? "-" : Fmt.Ms(s.Latency.P999Us) }.Select((c, i) => (c, i)))
            {
                sb.Append(measured).Append(E(cell)).Append(flagged ? " " + ResultNotes.Warn : string.Empty).Append("</td>");
                if (i == 0 && rounds)
                {
                    sb.Append(bad(r.Rounds is { Choice.Failed: > 0 })).Append(E(ResultNotes.RoundsText(r))).Append("</td><td>").Append(E(ResultNotes.SpreadText(r))).Append("</td>");
                }
            }

            sb.Append("<td>").Append(s is null ? "-" : Fmt.N(s.Ok)).Append("</td>");
            sb.Append(bad(s is { Failed: > 0 })).Append(s is null ? "-" : Fmt.N(s.Failed)).Append("</td>");
            sb.Append(bad(s is { Failed: > 0 })).Append(E(s is null ? "-" : Fmt.Percent(s.FailRate))).Append("</td>");
            sb.Append(bad(s is { StarvedConnections: > 0 })).Append(E(s is null ? "-" : ResultNotes.Starved(s))).Append("</td>");
            foreach (var cell in new[] { v is null ? "-" : Fmt.MiB(v.PeakRssKb), v is null ? "-" : Fmt.MiB(v.HwmKb), v is null ? "-" : Fmt.N(v.MaxThreads), v is null ? "-" : Fmt.N(v.CpuPercent, "0"), ResultNotes.ServerMicrosPerOpText(r), s is null ? "-" : Fmt.N(s.GeneratorCpuPercent, "0") })
            {
                sb.Append("<td>").Append(E(cell)).Append("</td>");
            }

            string verdictClass = flagged || r.Error is not null || r.Rounds is { Choice.Failed: > 0 } ? "l warn" : best.ContainsKey(r) ? "l best" : "l";
            sb.Append("<td class=\"").Append(verdictClass).Append("\">").Append(E(verdict)).Append("</td></tr>\n");
        }

        sb.Append("</table>\n");
        if (rounds)
        {
            sb.Append("<h2>Rounds</h2>\n<p class=\"note\">").Append(E($"{rate} of every round; (shown): the round of the row above, ✗: failed")).Append("</p>\n");
            Table(
                sb,
                ["model", "conns", .. Enumerable.Range(1, report.Rounds).Select(i => $"round {i}")],
                report.Rows.Select(r => new[] { r.Model, Fmt.N(r.Connections) }.Concat(ResultNotes.RoundCells(r, report.Rounds, markdown: false)).ToArray()).ToArray());
        }

        Charts(sb, ReportCharts.ForCompare(report));
        foreach (var r in report.Rows.Where(r => r.Stats?.Series.ContainsKey(Scenarios.SoakScenario.RssSeries) == true))
        {
            string text = MarkdownReport.RssText(r.Stats!.Series[Scenarios.SoakScenario.RssSeries]).Replace("**", string.Empty, StringComparison.Ordinal);
            sb.Append("<p>").Append(E($"{r.Model} @ {r.Connections}: {text}")).Append("</p>\n");
        }

        var failures = MarkdownReport.FailureRows(report);
        if (failures.Count > 0)
        {
            sb.Append("<h2>Failures by reason</h2>\n");
            Table(sb, ["model", "conns", "reason", "count"], failures);
        }

        var metrics = report.Rows.Where(r => r.Stats is { Metrics.Count: > 0 })
            .SelectMany(r => r.Stats!.Metrics.Select(m => new[] { r.Model, Fmt.N(r.Connections), m.Key, Fmt.N(m.Value), MetricLabels.Of(m.Key) }))
            .ToArray();
        if (metrics.Length > 0)
        {
            sb.Append("<h2>Scenario metrics</h2>\n");
            Table(sb, ["model", "conns", "metric", "value", "meaning"], metrics);
        }

        return End(sb);
    }

    private static StringBuilder Begin(string title)
    {
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        sb.Append($"<title>{E(title)}</title>\n<style>\n{Style}</style>\n</head>\n<body>\n<h1>{E(title)}</h1>\n");
        return sb;
    }

    private static string End(StringBuilder sb) => sb.Append("</body>\n</html>\n").ToString();

    private static void Charts(StringBuilder sb, IEnumerable<SvgLineChart> charts)
    {
        sb.Append("<h2>Charts</h2>\n<div class=\"charts\">\n");
        foreach (var chart in charts)
        {
            sb.Append(chart.Render());
        }

        sb.Append("</div>\n");
    }

    private static void Li(StringBuilder sb, string key, string value) => sb.Append($"<li><b>{E(key)}</b>: {E(value)}</li>\n");

    private static void Table(StringBuilder sb, string[] headers, IReadOnlyList<string[]> rows)
    {
        sb.Append("<table>\n<tr>");
        for (int i = 0; i < headers.Length; i++)
        {
            sb.Append(i == 0 || headers[i] is "note" or "reason" or "metric" or "meaning" ? "<th class=\"l\">" : "<th>").Append(E(headers[i])).Append("</th>");
        }

        sb.Append("</tr>\n");
        foreach (var row in rows)
        {
            sb.Append("<tr>");
            for (int i = 0; i < row.Length; i++)
            {
                bool left = i == 0 || (i < headers.Length && headers[i] is "note" or "reason" or "metric" or "meaning");
                sb.Append(left ? "<td class=\"l\">" : "<td>").Append(E(row[i])).Append("</td>");
            }

            sb.Append("</tr>\n");
        }

        sb.Append("</table>\n");
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
