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
        Assert.Contains("| ok | failed | fail rate | RPS |", md, StringComparison.Ordinal);
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
