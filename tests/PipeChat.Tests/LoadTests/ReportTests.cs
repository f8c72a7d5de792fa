using PipeChat.LoadTests.Harness;
using PipeChat.LoadTests.Reports;

namespace PipeChat.Tests.LoadTests;

public sealed class ReportTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "pipechat-report-tests-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    internal static RunReport SampleRun() => new(
        TestData.Stats(
            ok: 3000,
            failed: 3,
            p99Us: 4321,
            metrics: new() { ["lost"] = 3 },
            errors: new() { [FailureReason.Timeout] = 2, ["a, \"quoted\" | reason"] = 1 }),
        [
            Threshold.Parse("p99 < 20ms").Evaluate(TestData.Stats(p99Us: 4321)),
            Threshold.Parse("fail rate = 0").Evaluate(TestData.Stats(ok: 3000, failed: 3)),
        ],
        DateTimeOffset.UnixEpoch);

    [Fact]
    public void Run_report_writes_markdown_csv_and_html()
    {
        var paths = ReportWriter.WriteRun(SampleRun(), _dir);

        Assert.Equal(["run-echo.md", "run-echo.csv", "run-echo.html"], paths.Select(Path.GetFileName));
        Assert.All(paths, p => Assert.True(File.Exists(p)));
        string md = File.ReadAllText(paths[0]);
        Assert.Contains("# PipeChat load test: echo", md, StringComparison.Ordinal);
        Assert.Contains("| ok | failed | fail rate | starved conns | requests/s |", md, StringComparison.Ordinal);
        Assert.Contains("| 3000 | 3 |", md, StringComparison.Ordinal);
        Assert.Contains("| 4.321 |", md, StringComparison.Ordinal);
        Assert.Contains("| `p99 < 20ms` | 4.321 ms | ok |", md, StringComparison.Ordinal);
        Assert.Contains("| `fail rate = 0` |", md, StringComparison.Ordinal);
        Assert.Contains("**BROKEN**", md, StringComparison.Ordinal);
        Assert.Contains("| timeout | 2 |", md, StringComparison.Ordinal);
        Assert.Contains("| lost | 3 |", md, StringComparison.Ordinal);
        Assert.Contains("## Intervals", md, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_csv_has_a_header_a_row_per_interval_and_a_total()
    {
        var report = SampleRun();
        var lines = CsvReport.Run(report).TrimEnd().Split('\n').Select(l => l.TrimEnd('\r')).ToArray();

        Assert.Equal(CsvReport.RunHeader, lines[0]);
        Assert.Equal(report.Stats.Intervals.Count + 2, lines.Length);
        int columns = lines[0].Split(',').Length;
        Assert.All(lines, l => Assert.Equal(columns, l.Split(',').Length));
        var total = lines[^1].Split(',');
        Assert.Equal(("echo", "total", "3000", "3"), (total[0], total[1], total[5], total[6]));
        Assert.Equal("4321", total[Array.IndexOf(lines[0].Split(','), "p99_us")]);
    }

    [Fact]
    public void Csv_cells_with_commas_or_quotes_are_quoted()
    {
        Assert.Equal("plain", CsvReport.Esc("plain"));
        Assert.Equal("\"a,b\"", CsvReport.Esc("a,b"));
        Assert.Equal("\"say \"\"hi\"\"\"", CsvReport.Esc("say \"hi\""));
    }

    [Fact]
    public void Run_html_is_self_contained_with_svg_charts()
    {
        string html = HtmlReport.Run(SampleRun());

        AssertSelfContained(html);
        foreach (var id in new[] { "chart-rps", "chart-latency", "chart-cpu" })
        {
            Assert.Contains($"<svg class=\"chart\" id=\"{id}\"", html, StringComparison.Ordinal);
        }

        Assert.Contains("class=\"legend\"", html, StringComparison.Ordinal);
        Assert.Contains("<polyline", html, StringComparison.Ordinal);
        Assert.Contains("a, &quot;quoted&quot; | reason", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Compare_report_has_a_row_per_model_and_count_and_four_charts()
    {
        var report = TestData.Compare("async", "threads", "iterative");
        var paths = ReportWriter.WriteCompare(report, _dir);

        Assert.Equal(["compare-echo.md", "compare-echo.csv", "compare-echo.html"], paths.Select(Path.GetFileName));
        string md = File.ReadAllText(paths[0]);
        Assert.Contains("# PipeChat compare: echo", md, StringComparison.Ordinal);
        Assert.Equal(9, md.Split('\n').Count(l => l.StartsWith("| async |", StringComparison.Ordinal) || l.StartsWith("| threads |", StringComparison.Ordinal) || l.StartsWith("| iterative |", StringComparison.Ordinal)));

        var csv = File.ReadAllLines(paths[1]);
        Assert.Equal(CsvReport.CompareHeader, csv[0]);
        Assert.Equal(10, csv.Length);
        Assert.StartsWith("echo,threads,10,20000,", csv.Single(l => l.StartsWith("echo,threads,10,", StringComparison.Ordinal)), StringComparison.Ordinal);

        string html = File.ReadAllText(paths[2]);
        AssertSelfContained(html);
        foreach (var id in new[] { "chart-throughput", "chart-p99", "chart-rss", "chart-threads" })
        {
            int at = html.IndexOf($"<svg class=\"chart\" id=\"{id}\"", StringComparison.Ordinal);
            Assert.True(at >= 0, $"missing chart {id}");
            string svg = html[at..html.IndexOf("</svg>", at, StringComparison.Ordinal)];
            foreach (var model in report.Models)
            {
                Assert.Contains($">{model}</text>", svg, StringComparison.Ordinal);
                Assert.Contains($"data-series=\"{model}\"", svg, StringComparison.Ordinal);
            }

            Assert.Contains("connections (log scale)", svg, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Compare_report_shows_server_CPU_per_operation_for_every_model()
    {
        // threads @10: 20000 ok in 3 s at 90 % of a core: 0.9 s / 6666.7 ops/s = 135 µs per op.
        var report = TestData.Compare("async", "threads", "iterative");
        var threads = report.Rows.Single(r => r is { Model: "threads", Connections: 10 });
        Assert.Equal(135, ResultNotes.ServerMicrosPerOp(threads)!.Value, 3);

        string md = MarkdownReport.Compare(report);
        Assert.Contains("| server CPU % | server µs/op |", md, StringComparison.Ordinal);
        foreach (var row in report.Rows)
        {
            Assert.Contains($"| {Fmt.N(row.Server!.CpuPercent, "0")} | {ResultNotes.ServerMicrosPerOpText(row)} |", md, StringComparison.Ordinal);
        }

        var csv = CsvReport.Compare(report).Split('\n');
        int column = Array.IndexOf(CsvReport.CompareHeader.Split(','), "server_us_per_op");
        Assert.Equal("135", csv.Single(l => l.StartsWith("echo,threads,10,", StringComparison.Ordinal)).Split(',')[column]);
        Assert.Contains("s/op</th>", HtmlReport.Compare(report), StringComparison.Ordinal);
        Assert.Null(ResultNotes.ServerMicrosPerOp(report.Rows[0] with { Server = null }));
    }

    [Fact]
    public void Compare_rows_without_results_show_the_error()
    {
        var report = TestData.Compare("async");
        report = report with { Rows = [.. report.Rows, new CompareRow("threads", 1000, null, null, "server did not start: boom", [])] };

        Assert.Contains("server did not start: boom", MarkdownReport.Compare(report), StringComparison.Ordinal);
        Assert.EndsWith(",server did not start: boom", CsvReport.Compare(report).TrimEnd(), StringComparison.Ordinal);
        AssertSelfContained(HtmlReport.Compare(report));
    }

    [Fact]
    public void A_chart_without_data_says_so()
    {
        string svg = new SvgLineChart("chart-empty", "Empty", "x", "y", [new ChartSeries("a", [])]).Render();
        Assert.StartsWith("<svg class=\"chart\" id=\"chart-empty\"", svg, StringComparison.Ordinal);
        Assert.Contains("no data", svg, StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_with_starved_connections_is_flagged_in_markdown_and_html_and_never_best()
    {
        var report = StarvedCompare();
        string md = MarkdownReport.Compare(report);
        string html = HtmlReport.Compare(report);

        string mdIterative = md.Split('\n').First(l => l.StartsWith("| iterative | 200 |", StringComparison.Ordinal));
        Assert.Contains("| 199 | ", mdIterative, StringComparison.Ordinal);
        Assert.Contains("| 199 of 200 |", mdIterative, StringComparison.Ordinal);
        Assert.Contains("0.127 ⚠", mdIterative, StringComparison.Ordinal);
        Assert.Contains("199/200 connections starved", mdIterative, StringComparison.Ordinal);
        Assert.Contains("not ranked", mdIterative, StringComparison.Ordinal);
        Assert.DoesNotContain("best", mdIterative, StringComparison.Ordinal);
        Assert.Contains("best: most throughput, lowest p99", md.Split('\n').Single(l => l.StartsWith("| async | 200 |", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Contains("Ranked on successful work only", md, StringComparison.Ordinal);
        Assert.Contains("| iterative | 200 | timeout | 199 |", md, StringComparison.Ordinal);

        AssertSelfContained(html);
        string htmlIterative = HtmlRow(html, "iterative");
        Assert.StartsWith("<tr class=\"flagged\">", htmlIterative, StringComparison.Ordinal);
        Assert.Contains("<td class=\"warn\">199 of 200</td>", htmlIterative, StringComparison.Ordinal);
        Assert.Contains("0.127 ⚠</td>", htmlIterative, StringComparison.Ordinal);
        Assert.Contains("class=\"suspect\"", htmlIterative, StringComparison.Ordinal);
        Assert.DoesNotContain("best", htmlIterative, StringComparison.Ordinal);
        Assert.Contains("best: most throughput, lowest p99", HtmlRow(html, "async"), StringComparison.Ordinal);
        Assert.Contains("Ranked on successful work only", html, StringComparison.Ordinal);

        // the charts draw the failures: a failure-rate and a starved chart, and a red ring on iterative's p99
        foreach (var id in new[] { "chart-failures", "chart-starved" })
        {
            Assert.Contains($"<svg class=\"chart\" id=\"{id}\"", html, StringComparison.Ordinal);
        }

        int p99 = html.IndexOf("id=\"chart-p99\"", StringComparison.Ordinal);
        string p99Svg = html[p99..html.IndexOf("</svg>", p99, StringComparison.Ordinal)];
        Assert.Contains("class=\"flagged\"", p99Svg, StringComparison.Ordinal);
        Assert.Contains("199/200 connections starved", p99Svg, StringComparison.Ordinal);
    }

    [Fact]
    public void Compare_html_tables_the_failure_reasons()
    {
        string html = HtmlReport.Compare(StarvedCompare());

        int at = html.IndexOf("<h2>Failures by reason</h2>", StringComparison.Ordinal);
        Assert.True(at >= 0, "no failure reasons in the HTML");
        Assert.Contains("<td class=\"l\">iterative</td><td>200</td><td class=\"l\">timeout</td><td>199</td>", html[at..], StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_with_failures_is_never_best_even_if_fastest()
    {
        var report = TestData.Compare("async", "threads");
        var rows = report.Rows.Select(r => r.Model == "threads" && r.Connections == 100
            ? r with { Stats = TestData.Stats(ok: 10_000_000, failed: 5, p99Us: 1, errors: new() { ["reset"] = 5 }) }
            : r).ToArray();
        report = report with { Rows = rows };

        var best = ResultNotes.Best(report);
        Assert.Equal("most throughput, lowest p99", best[rows.Single(r => r.Model == "async" && r.Connections == 100)]);
        Assert.DoesNotContain(best.Keys, r => r.Model == "threads" && r.Connections == 100);
        Assert.Contains("5 requests failed", MarkdownReport.Compare(report), StringComparison.Ordinal);
    }

    [Fact]
    public void Chat_run_report_counts_lines_delivered_and_explains_the_warm_up()
    {
        var stats = TestData.Stats(ok: 297_000, metrics: new() { ["published"] = 4000, ["delivered"] = 396_000, ["expected_deliveries"] = 396_000, ["lost"] = 0 }, name: "chat")
            with { RequestNoun = "lines delivered", WarmUpSeconds = 1, Connections = 100 };
        var report = new RunReport(stats, [], DateTimeOffset.UnixEpoch);
        string md = MarkdownReport.Run(report);
        string html = HtmlReport.Run(report);

        foreach (var text in new[] { md, html })
        {
            Assert.Contains("lines delivered/s", text, StringComparison.Ordinal);
            Assert.DoesNotContain("RPS", text, StringComparison.Ordinal);
            Assert.DoesNotContain("requests/s", text, StringComparison.Ordinal);
            Assert.Contains("the 1 s warm-up before it was discarded", text, StringComparison.Ordinal);
            Assert.Contains("published, expected_deliveries, delivered, lost count the whole run, warm-up included", text, StringComparison.Ordinal);
            Assert.Contains("whole run including warm-up (count; ok counts only the measured window)", text, StringComparison.Ordinal);
            Assert.Contains("0 of 100", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Chat_scenario_names_its_unit_and_describes_the_stalled_member_in_words()
    {
        var plain = PipeChat.LoadTests.Scenarios.ChatScenario.Create(new PipeChat.LoadTests.Scenarios.ScenarioSettings());
        var stalled = PipeChat.LoadTests.Scenarios.ChatScenario.Create(new PipeChat.LoadTests.Scenarios.ScenarioSettings { StalledMember = true });

        Assert.Equal("lines delivered", plain.RequestNoun);
        Assert.Equal("none", plain.Settings["stalled member"]);
        Assert.Equal("yes: 1 extra member connects and never reads", stalled.Settings["stalled member"]);
    }

    [Fact]
    public void Charts_scale_to_the_page_width()
    {
        string svg = ReportCharts.ForCompare(TestData.Compare("async"))[0].Render();

        Assert.Contains("viewBox=\"0 0 ", svg, StringComparison.Ordinal);
        Assert.Contains("width=\"100%\"", svg, StringComparison.Ordinal);
        Assert.DoesNotMatch("<svg[^>]* height=\"", svg);
        Assert.Contains("grid-template-columns", HtmlReport.Compare(TestData.Compare("async")), StringComparison.Ordinal);
    }

    // echo at 200 connections: iterative serves one connection, the other 199 time out, and its few
    // successes are the fastest of all
    internal static CompareReport StarvedCompare()
    {
        var report = TestData.Compare("async", "threads", "iterative");
        var rows = new[]
        {
            Row("async", TestData.Stats(ok: 120_000, p99Us: 2000) with { Connections = 200 }),
            Row("threads", TestData.Stats(ok: 90_000, p99Us: 3000) with { Connections = 200 }),
            Row("iterative", TestData.Stats(ok: 30_000, failed: 199, p99Us: 127, errors: new() { [FailureReason.Timeout] = 199 }) with { Connections = 200, StarvedConnections = 199 }),
        };
        return report with { Connections = [200], Rows = rows };

        static CompareRow Row(string model, ScenarioStats stats) => new(model, 200, stats, new PipeChat.LoadTests.Compare.ServerSample(20_000, 30_000, 31_000, 10, 90, 20), null, []);
    }

    private static string HtmlRow(string html, string model)
    {
        int cell = html.IndexOf($"<td class=\"l\">{model}</td>", StringComparison.Ordinal);
        int start = html.LastIndexOf("<tr", cell, StringComparison.Ordinal);
        return html[start..html.IndexOf("</tr>", cell, StringComparison.Ordinal)];
    }

    internal static void AssertSelfContained(string html)
    {
        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("src=\"http", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("href=\"http", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<link", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("@import", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("url(", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("<svg", html, StringComparison.Ordinal);
    }
}
