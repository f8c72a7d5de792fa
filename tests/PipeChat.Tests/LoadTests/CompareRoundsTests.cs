using PipeChat.LoadTests.Cli;
using PipeChat.LoadTests.Compare;
using PipeChat.LoadTests.Harness;
using PipeChat.LoadTests.Reports;
using PipeChat.LoadTests.Scenarios;

namespace PipeChat.Tests.LoadTests;

/// <summary><c>compare --rounds N</c>: the rotation, the median round, the spread, the reports, and a real run with a stand-in server.</summary>
[Collection(LoadTestsSerial.Name)]
public sealed class CompareRoundsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("pipechat-compare-rounds-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void The_model_order_rotates_by_one_each_round()
    {
        string[] models = ["a", "b", "c"];
        Assert.Equal(["a", "b", "c"], CompareRounds.Order(models, 1));
        Assert.Equal(["b", "c", "a"], CompareRounds.Order(models, 2));
        Assert.Equal(["c", "a", "b"], CompareRounds.Order(models, 3));
        Assert.Equal(["a", "b", "c"], CompareRounds.Order(models, 4));
        Assert.Equal(["b", "a"], CompareRounds.Order(["a", "b"], 2));
        Assert.Equal(["a"], CompareRounds.Order(["a"], 5));

        // over as many rounds as models, every model takes every slot once
        for (int slot = 0; slot < 3; slot++)
        {
            Assert.Equal(["a", "b", "c"], Enumerable.Range(1, 3).Select(r => CompareRounds.Order(models, r)[slot]).Order());
        }

        Assert.Equal("round 1: a, b, c; round 2: b, c, a; round 3: c, a, b; …", CompareRounds.RotationText(models, 5));
        Assert.Equal("round 1: a, b; round 2: b, a", CompareRounds.RotationText(["a", "b"], 2));
        Assert.Equal("round 1: a, b; round 2: b, a; …", CompareRounds.RotationText(["a", "b"], 3));
    }

    [Fact]
    public void The_median_round_by_rate_is_shown_with_the_spread()
    {
        var choice = CompareRounds.Choose([new(1, 900, null), new(2, 1200, null), new(3, 1000, null)]);
        Assert.Equal(new RoundsChoice(3, 3, 3, 900, 1200, null), choice);
        Assert.Equal(0, choice.Failed);

        // an even count takes the lower middle one
        Assert.Equal(1, CompareRounds.Choose([new(1, 1000, null), new(2, 1200, null), new(3, 900, null), new(4, 1300, null)]).Round);
        Assert.Equal(2, CompareRounds.Choose([new(1, 1100, null), new(2, 1000, null)]).Round);

        // equal rates sort by round: the earlier one is the lower
        Assert.Equal(1, CompareRounds.Choose([new(1, 1000, null), new(2, 1000, null), new(3, 500, null), new(4, 2000, null)]).Round);
    }

    [Fact]
    public void Failed_rounds_are_counted_named_and_never_the_median()
    {
        var choice = CompareRounds.Choose([new(1, 5000, "server did not start: boom"), new(2, 1000, null), new(3, 1200, null), new(4, 50, "⚠ 3 requests failed")]);
        Assert.Equal(new RoundsChoice(2, 4, 2, 1000, 1200, "round 1: server did not start: boom"), choice);
        Assert.Equal(2, choice.Failed);

        var none = CompareRounds.Choose([new(1, 0, "run failed: x"), new(2, 0, "run failed: y")]);
        Assert.Equal(new RoundsChoice(1, 2, 0, null, null, "round 1: run failed: x"), none);
        Assert.Equal(2, none.Failed);
    }

    [Fact]
    public void A_cell_shows_its_median_round_whole_and_what_its_rounds_did()
    {
        var rounds = new[]
        {
            Row(1000, p99Us: 100, rss: 1),
            Row(3000, p99Us: 300, rss: 3),
            Row(2000, p99Us: 200, rss: 2) with { Thresholds = [Threshold.Parse("p99 < 0.1ms").Evaluate(TestData.Stats(p99Us: 200))] },
        };

        var row = CompareRounds.Summarize(rounds);

        Assert.Equal(rounds[2].Stats, row.Stats);
        Assert.Equal(rounds[2].Server, row.Server); // every number of the row from the one round
        Assert.Equal(3, row.Rounds!.Choice.Round);
        Assert.Equal([1000d / 3, 1000, 2000d / 3], row.Rounds.Rates.Select(r => r!.Value));
        Assert.Equal(1, row.Rounds.ThresholdBrokenRounds);
        Assert.False(CompareRounds.Passed(row));
        var one = CompareRounds.Summarize([rounds[0]]); // an interrupted compare of several rounds
        Assert.Equal(rounds[0].Stats, one.Stats);
        Assert.Equal("1/1", ResultNotes.RoundsText(one));
        Assert.Equal(["**333**", "-", "-"], ResultNotes.RoundCells(one, 3, markdown: true));

        // a threshold broken in a round that is not shown still fails the compare
        var brokenFast = Row(5000) with { Thresholds = rounds[2].Thresholds };
        var hidden = CompareRounds.Summarize([rounds[0], rounds[1], brokenFast]);
        Assert.Equal(2, hidden.Rounds!.Choice.Round);
        Assert.Empty(hidden.Thresholds);
        Assert.False(CompareRounds.Passed(hidden));
        Assert.True(CompareRounds.Passed(CompareRounds.Summarize([rounds[0], rounds[1]])));

        var failed = CompareRounds.Summarize([Row(1000), new CompareRow("async", 10, null, null, "server did not start: boom", []), Row(500, failed: 3)]);
        Assert.Equal(1, failed.Rounds!.Choice.Round);
        Assert.Equal((1, 2, 1), (failed.Rounds.Choice.Completed, failed.Rounds.Choice.Failed, failed.Rounds.ErrorRounds));
        Assert.Equal("round 2: server did not start: boom", failed.Rounds.Choice.FirstFailure);
        Assert.False(CompareRounds.Passed(failed));
    }

    [Fact]
    public void Reports_show_rounds_spread_and_each_round_when_run_more_than_once()
    {
        var report = RoundsReport();
        string md = MarkdownReport.Compare(report);
        string html = HtmlReport.Compare(report);
        string[] csv = CsvReport.Compare(report).TrimEnd().Split('\n').Select(l => l.TrimEnd('\r')).ToArray();

        Assert.Contains("| model | conns | requests/s | rounds | requests/s spread | p50 ms |", md, StringComparison.Ordinal);
        string asyncRow = md.Split('\n').First(l => l.StartsWith("| async | 10 |", StringComparison.Ordinal));
        Assert.StartsWith("| async | 10 | 667 | 3/3 | 333–1000 (100 %) |", asyncRow, StringComparison.Ordinal);
        Assert.Contains("shown: round 3", asyncRow, StringComparison.Ordinal);
        Assert.Contains("best: most throughput", asyncRow, StringComparison.Ordinal);
        string threadsRow = md.Split('\n').First(l => l.StartsWith("| threads | 10 |", StringComparison.Ordinal));
        Assert.Contains("| 2/3 |", threadsRow, StringComparison.Ordinal);
        Assert.Contains("not ranked", threadsRow, StringComparison.Ordinal);
        Assert.Contains("1 of 3 rounds failed, first round 2: server did not start: boom", threadsRow, StringComparison.Ordinal);
        Assert.DoesNotContain("best", threadsRow, StringComparison.Ordinal);
        Assert.Contains("| async | 10 | 333 | 1000 | **667** |", md, StringComparison.Ordinal);
        Assert.Contains("| threads | 10 | **2000** | - ✗ | 3000 |", md, StringComparison.Ordinal);
        Assert.Contains(ResultNotes.RoundsNote, md, StringComparison.Ordinal);

        Assert.Equal(CsvReport.CompareHeader + "," + CsvReport.CompareRoundsColumns, csv[0]);
        Assert.All(csv, l => Assert.Equal(csv[0].Split(',').Length, l.Split(',').Length));
        Assert.EndsWith(",3,3,0,3,333.3,1000,333.3;1000;666.7,", csv[1], StringComparison.Ordinal);
        Assert.EndsWith(",3,2,1,1,2000,3000,2000;;3000,round 2: server did not start: boom", csv[2], StringComparison.Ordinal);

        ReportTests.AssertSelfContained(html);
        Assert.Contains("<th>rounds</th><th>requests/s spread</th>", html, StringComparison.Ordinal);
        Assert.Contains("<td class=\"warn\">2/3</td><td>2000–3000 (50 %)</td>", html, StringComparison.Ordinal);
        Assert.Contains("<h2>Rounds</h2>", html, StringComparison.Ordinal);
        Assert.Contains("<td>667 (shown)</td>", html, StringComparison.Ordinal);
        Assert.Contains("<td class=\"l warn\">not ranked; shown: round 1; 1 of 3 rounds failed", html, StringComparison.Ordinal);
    }

    [Fact]
    public void A_cell_whose_rounds_all_failed_names_its_reason_once()
    {
        var row = CompareRounds.Summarize([Row(1000, failed: 3), Row(2000, failed: 5)]);
        var report = TestData.Compare("async") with { Connections = [10], Rows = [row], Rounds = 2 };
        string asyncRow = MarkdownReport.Compare(report).Split('\n').First(l => l.StartsWith("| async | 10 |", StringComparison.Ordinal));

        Assert.Contains("2 of 2 rounds failed, the first shown", asyncRow, StringComparison.Ordinal);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(asyncRow, "requests failed"));
    }

    [Fact]
    public void A_single_round_reports_exactly_as_before()
    {
        var report = TestData.Compare("async", "threads");
        string md = MarkdownReport.Compare(report);
        Assert.DoesNotContain("rounds", md, StringComparison.Ordinal);
        Assert.DoesNotContain("spread", md, StringComparison.Ordinal);
        Assert.StartsWith(CsvReport.CompareHeader + "\n", CsvReport.Compare(report).ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.DoesNotContain("rounds", HtmlReport.Compare(report), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("21")]
    [InlineData("three")]
    public async Task Rounds_out_of_range_are_usage_errors(string rounds)
    {
        var (code, _, err) = await CliTests.RunAsync("compare", "--rounds", rounds);
        Assert.Equal(2, code);
        Assert.StartsWith($"error: --rounds: '{rounds}' is not a whole number from 1 to 20", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Compare_with_two_rounds_rotates_the_models_and_reports_the_rounds()
    {
        Assert.True(File.Exists("/usr/bin/python3"), "this test uses python3 as a stand-in server (Debian package python3)");
        string script = Path.Combine(_dir, "fake_echo.py");
        await File.WriteAllTextAsync(script, CompareTests.PythonEchoServer);
        string outDir = Path.Combine(_dir, "out");

        var (code, stdout, stderr) = await CliTests.RunAsync(
            "compare", "--scenario", "echo", "--models", "async,threads", "--conns", "2", "--rounds", "2",
            "--duration", "400ms", "--warmup", "0s", "--server-cmd", $"/usr/bin/python3 -u {script} {{model}}",
            "--stop-timeout", "5s", "--sample-interval", "50ms", "--progress", "off", "--out", outDir);

        Assert.True(code == 0, stdout + stderr);
        var starts = stderr.Split('\n').Where(l => l.Contains(": starting `", StringComparison.Ordinal)).Select(l => l[..l.IndexOf(" conns=", StringComparison.Ordinal)]).ToArray();
        Assert.Equal(
            ["compare: round 1/2: echo model=async", "compare: round 1/2: echo model=threads", "compare: round 2/2: echo model=threads", "compare: round 2/2: echo model=async"],
            starts);
        Assert.Contains("compare: round 2/2: models in order threads, async", stderr, StringComparison.Ordinal);

        string md = File.ReadAllText(Path.Combine(outDir, "compare-echo.md"));
        Assert.Contains("- rounds: 2, every cell once per round", md, StringComparison.Ordinal);
        Assert.Contains("round 1: async, threads; round 2: threads, async", md, StringComparison.Ordinal);
        Assert.Contains("| rounds | requests/s spread |", md, StringComparison.Ordinal);
        foreach (var model in new[] { "async", "threads" })
        {
            Assert.Matches($@"\| {model} \| 2 \| \d+ \| 2/2 \| \d+–\d+ \([\d.]+ %\) \|", md);
            Assert.Matches($@"\| {model} \| 2 \| (\*\*\d+\*\* \| \d+|\d+ \| \*\*\d+\*\*) \|", md);
            Assert.Equal(2, Directory.GetFiles(Path.Combine(outDir, "logs"), $"server-echo-{model}-2-r*.log").Length);
        }
    }

    [Fact]
    public async Task Compare_with_rounds_runs_the_real_server_fresh_each_round()
    {
        // The real pipechat, every model, two rounds: each round starts a server per cell, every
        // round completes, and each row is one of its cell's rounds. One connection: the
        // iterative model serves one client at a time and would starve a second.
        string dll = Path.Combine(AppContext.BaseDirectory, "pipechat.dll");
        string[] models = ["async", "threads", "iterative"];
        var options = CompareTests.ShortEcho(_dir, $"dotnet {dll} {{protocol}} --model {{model}} --port {{port}}", models, [1], TimeSpan.FromMilliseconds(400)) with { Rounds = 2 };

        var report = await CompareRunner.RunAsync(options);

        Assert.Equal(2, report.Rounds);
        Assert.Equal(models, report.Rows.Select(r => r.Model));
        foreach (var row in report.Rows)
        {
            Assert.True(CompareRounds.Passed(row), $"{row.Model}: {row.Error}");
            var rounds = Assert.IsType<CompareRoundsInfo>(row.Rounds);
            Assert.Equal(2, rounds.Choice.Completed);
            Assert.All(rounds.Rates, rate => Assert.True(rate > 0, $"{row.Model}: a round without requests"));
            Assert.Contains(row.Stats!.Rps, rounds.Rates.Cast<double>());
            Assert.True(row.Server!.PeakRssKb > 1000, "RSS was not sampled");
            var logs = Directory.GetFiles(Path.Combine(_dir, "logs"), $"server-echo-{row.Model}-1-r*.log");
            Assert.Equal(2, logs.Length);
            Assert.All(logs, log => Assert.Contains($"pipechat echo ({row.Model}", File.ReadAllText(log), StringComparison.Ordinal));
        }
    }

    private static CompareRow Row(long ok, double p99Us = 2000, long failed = 0, int rss = 1) =>
        new("async", 10, TestData.Stats(ok: ok, failed: failed, p99Us: p99Us), new ServerSample(rss * 1000, rss * 2000, rss * 2000, rss, 50, 10), null, []);

    // async @10: rounds of 333, 1000, 667 requests/s (median: round 3); threads @10: 2000, a server
    // that did not start, 3000 (two completed: the lower, round 1)
    private static CompareReport RoundsReport()
    {
        var asyncRow = CompareRounds.Summarize([Row(1000), Row(3000), Row(2000)]);
        var threadsRow = CompareRounds.Summarize([
            Row(6000) with { Model = "threads" },
            new CompareRow("threads", 10, null, null, "server did not start: boom", []),
            Row(9000) with { Model = "threads" }]);
        return TestData.Compare("async", "threads") with { Connections = [10], Rows = [asyncRow, threadsRow], Rounds = 3 };
    }
}
