using PipeChat.LoadTests.Harness;

namespace PipeChat.LoadTests.Reports;

/// <summary>
/// What the reports say beside the numbers so they cannot mislead: failures and starved connections
/// (latency and throughput then describe only the few requests that succeeded), what a request is
/// counted as, and what the warm-up left out.
/// </summary>
public static class ResultNotes
{
    /// <summary>The marker of a latency or throughput that describes only the requests that succeeded.</summary>
    public const string Warn = "⚠";

    /// <summary>The sentence every compare report carries about how rows are ranked.</summary>
    public const string RankingRule =
        "Ranked on successful work only: a row with failed requests or starved connections (connections that never got one reply) " +
        "is marked " + Warn + " and not ranked; its latency and throughput describe only the requests that succeeded.";

    /// <summary>What the counts of a compare report cover.</summary>
    public const string CompareCountsNote =
        "ok, failed and starved conns cover each run's measured window; its warm-up is discarded (scenario metrics such as delivered or lost count the whole run).";

    // Metrics counted over the whole run, warm-up included (the scenario counts them itself).
    private static readonly string[] WholeRunMetrics = ["published", "expected_deliveries", "delivered", "lost"];

    /// <summary>What a compare report run in several rounds says about its rows.</summary>
    public const string RoundsNote =
        "Several rounds: each row is its cell's median round by the main rate among the completed rounds (lower middle for an even count), every number from that one run; " +
        "rounds = completed/run; spread = min–max of the main rate over the completed rounds and its width as % of the shown rate; " +
        "a cell with a failed round (an error, failed requests or starved connections) is not ranked.";

    /// <summary>The rounds cell of a row: completed/run, e.g. <c>3/3</c>, or "-" for a single round.</summary>
    public static string RoundsText(CompareRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        return row.Rounds is { Choice: var c } ? $"{Fmt.N(c.Completed)}/{Fmt.N(c.Total)}" : "-";
    }

    /// <summary>The spread cell of a row: min–max of the main rate over the completed rounds and its width as % of the shown rate, or "-".</summary>
    public static string SpreadText(CompareRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        if (row.Rounds is not { Choice: { MinRate: { } min, MaxRate: { } max } })
        {
            return "-";
        }

        string range = $"{Fmt.N(min, "0")}–{Fmt.N(max, "0")}";
        return row.Stats is { Rps: > 0 } s ? $"{range} ({Fmt.N((max - min) / s.Rps * 100, "0.#")} %)" : range;
    }

    /// <summary>
    /// Each round's main rate for the rounds table, <paramref name="total"/> cells: the shown round in
    /// bold (Markdown) or marked (shown), a failed one marked ✗, a round not run (interrupted) "-".
    /// </summary>
    public static IReadOnlyList<string> RoundCells(CompareRow row, int total, bool markdown)
    {
        ArgumentNullException.ThrowIfNull(row);
        if (row.Rounds is not { } rounds)
        {
            return [.. Enumerable.Repeat("-", total)];
        }

        return [.. rounds.Rates.Take(total).Select((rate, i) =>
        {
            string text = rate is { } r ? Fmt.N(r, "0") : "-";
            if (!rounds.CompletedRounds[i])
            {
                return text + " ✗";
            }

            return i + 1 == rounds.Choice.Round ? (markdown ? $"**{text}**" : text + " (shown)") : text;
        }).Concat(Enumerable.Repeat("-", Math.Max(0, total - rounds.Rates.Count)))];
    }

    /// <summary>Gets a value indicating whether a result is fit to rank: something succeeded, nothing failed, no connection starved.</summary>
    public static bool IsClean(ScenarioStats s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return s.Ok > 0 && s.Failed == 0 && s.StarvedConnections == 0;
    }

    /// <summary>What the server's CPU per operation column is.</summary>
    public const string CpuPerOpNote =
        "server µs/op = the server's CPU time (user + system, from /proc/PID/stat) per successful operation of the measured window: the cost that decides throughput once the loader is not the limit.";

    /// <summary>Server CPU microseconds per successful operation, or null when either side was not measured.</summary>
    public static double? ServerMicrosPerOp(CompareRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        return row is { Server: { } v, Stats: { Rps: > 0 } s } ? v.CpuPercent * 10_000 / s.Rps : null;
    }

    /// <summary><see cref="ServerMicrosPerOp"/> formatted, "-" when not measured.</summary>
    public static string ServerMicrosPerOpText(CompareRow row) => ServerMicrosPerOp(row) is { } us ? Fmt.N(us, "0.00") : "-";

    /// <summary>Starved connections as "x of N", or "-" when the scenario does not track connections.</summary>
    public static string Starved(ScenarioStats s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return s.Connections == 0 ? "-" : $"{Fmt.N(s.StarvedConnections)} of {Fmt.N(s.Connections)}";
    }

    /// <summary>Why a result must not be read at face value, or null when it is clean.</summary>
    public static string? Warning(ScenarioStats s)
    {
        ArgumentNullException.ThrowIfNull(s);
        if (IsClean(s))
        {
            return null;
        }

        var parts = new List<string>();
        if (s.StarvedConnections > 0)
        {
            parts.Add($"{Fmt.N(s.StarvedConnections)}/{Fmt.N(s.Connections)} connections starved (never got a reply)");
        }

        if (s.Failed > 0)
        {
            parts.Add($"{Fmt.N(s.Failed)} {s.RequestNoun} failed ({Fmt.Percent(s.FailRate)})");
        }

        string tail = s.Ok == 0
            ? "nothing succeeded"
            : $"latency and throughput are of the {Fmt.N(s.Ok)} that succeeded";
        return $"{Warn} {string.Join("; ", parts.DefaultIfEmpty("nothing measured"))}: {tail}";
    }

    /// <summary>The throughput label of a result, e.g. <c>lines delivered/s</c>.</summary>
    public static string RateLabel(ScenarioStats s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return s.RequestNoun + "/s";
    }

    /// <summary>What the counts cover: the measured window, not the warm-up (unless a metric says "whole run").</summary>
    public static string CountsNote(ScenarioStats s)
    {
        ArgumentNullException.ThrowIfNull(s);
        string text = s.WarmUpSeconds > 0
            ? $"ok and failed count the {s.RequestNoun} of the measured {Fmt.N(s.DurationSeconds, "0.#")} s only; the {Fmt.N(s.WarmUpSeconds, "0.#")} s warm-up before it was discarded."
            : $"ok and failed count the {s.RequestNoun} of the measured {Fmt.N(s.DurationSeconds, "0.#")} s (no warm-up).";
        var whole = WholeRunMetrics.Where(s.Metrics.ContainsKey).ToArray();
        if (whole.Length > 0 && s.WarmUpSeconds > 0)
        {
            text += $" The scenario metrics {string.Join(", ", whole)} count the whole run, warm-up included, so they are larger than ok + failed.";
        }

        if (s.Connections > 0)
        {
            text += $" Starved connections: {Starved(s)} got nothing through in the measured window.";
        }

        return text;
    }

    /// <summary>
    /// The best rows per connection count (when more than one row ran at it) among clean rows: most
    /// throughput and lowest p99. Rows with failures, starved connections or no result are never best.
    /// </summary>
    public static IReadOnlyDictionary<CompareRow, string> Best(CompareReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var marks = new Dictionary<CompareRow, List<string>>();
        foreach (var group in report.Rows.GroupBy(r => r.Connections).Where(g => g.Count() > 1))
        {
            var rows = group.Where(r => r.Stats is { } s && IsClean(s) && r.Rounds is not { Choice.Failed: > 0 }).ToArray();
            if (rows.Length == 0)
            {
                continue;
            }

            Add(marks, rows.MaxBy(r => r.Stats!.Rps)!, "most throughput");
            Add(marks, rows.MinBy(r => r.Stats!.Latency.P99Us)!, "lowest p99");
        }

        return marks.ToDictionary(kv => kv.Key, kv => string.Join(", ", kv.Value));
    }

    /// <summary>The verdict cell of a compare row: its warning, its error, or what it is best at.</summary>
    public static string Verdict(CompareRow row, IReadOnlyDictionary<CompareRow, string> best)
    {
        ArgumentNullException.ThrowIfNull(row);
        ArgumentNullException.ThrowIfNull(best);
        var notes = new List<string>();
        if (row.Stats is { } s && Warning(s) is { } w)
        {
            notes.Add(w + " (not ranked)");
        }
        else if (row.Rounds is { Choice.Failed: > 0 })
        {
            notes.Add("not ranked");
        }
        else if (best.TryGetValue(row, out var b))
        {
            notes.Add("best: " + b);
        }

        if (row.Error is { } e)
        {
            notes.Add(e);
        }

        notes.AddRange(row.Thresholds.Where(t => !t.Passed).Select(t => t.Message));
        if (row.Rounds is { } rounds)
        {
            notes.Add($"shown: round {rounds.Choice.Round}");
            if (rounds.Choice.Failed > 0)
            {
                // When every round failed the row is the first failure itself: its reason is already in the notes.
                notes.Add(rounds.Choice.Completed == 0
                    ? $"{Fmt.N(rounds.Choice.Failed)} of {Fmt.N(rounds.Choice.Total)} rounds failed, the first shown"
                    : $"{Fmt.N(rounds.Choice.Failed)} of {Fmt.N(rounds.Choice.Total)} rounds failed, first {rounds.Choice.FirstFailure}");
            }

            if (rounds.ThresholdBrokenRounds > 0)
            {
                notes.Add($"a threshold broke in {Fmt.N(rounds.ThresholdBrokenRounds)} of {Fmt.N(rounds.Choice.Total)} rounds");
            }
        }

        return string.Join("; ", notes);
    }

    private static void Add(Dictionary<CompareRow, List<string>> marks, CompareRow row, string mark)
    {
        if (!marks.TryGetValue(row, out var list))
        {
            marks[row] = list = [];
        }

        list.Add(mark);
    }
}
