using System.Text;
using PipeChat.LoadTests.Harness;

namespace PipeChat.LoadTests.Reports;

/// <summary>CSV versions of the reports (comma separated, invariant numbers, latencies in microseconds).</summary>
public static class CsvReport
{
    /// <summary>The header of a run report.</summary>
    public const string RunHeader =
        "scenario,interval,start_s,duration_s,load,ok,failed,rps,min_us,mean_us,p50_us,p75_us,p95_us,p99_us,p999_us,max_us,bytes_in,bytes_out,cpu_pct";

    /// <summary>The header of a compare report.</summary>
    public const string CompareHeader =
        "scenario,model,conns,ok,failed,fail_rate,rps,mean_us,p50_us,p75_us,p95_us,p99_us,p999_us,max_us,bytes_in,bytes_out,rss_baseline_kb,rss_peak_kb,hwm_kb,threads_max,server_cpu_pct,server_us_per_op,generator_cpu_pct,starved_conns,tracked_conns,error";

    /// <summary>The columns a compare report run in several rounds adds after <see cref="CompareHeader"/>.</summary>
    public const string CompareRoundsColumns = "rounds_run,rounds_completed,rounds_failed,shown_round,rps_min,rps_max,round_rps,first_round_failure";

    /// <summary>Renders a run report: one row per interval, then a <c>total</c> row.</summary>
    public static string Run(RunReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var s = report.Stats;
        var sb = new StringBuilder().AppendLine(RunHeader);
        foreach (var i in s.Intervals)
        {
            Row(sb, s.Name, Fmt.N(i.Index), i.StartSeconds, i.DurationSeconds, i.TargetLoad, i.Ok, i.Failed, i.Rps, i.Latency, i.BytesIn, i.BytesOut, i.CpuPercent);
        }

        Row(sb, s.Name, "total", 0, s.DurationSeconds, double.NaN, s.Ok, s.Failed, s.Rps, s.Latency, s.BytesIn, s.BytesOut, s.GeneratorCpuPercent);
        return sb.ToString();
    }

    /// <summary>Renders a compare report: one row per model × connection count.</summary>
    public static string Compare(CompareReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        bool rounds = report.Rounds > 1;
        var sb = new StringBuilder().AppendLine(rounds ? CompareHeader + "," + CompareRoundsColumns : CompareHeader);
        foreach (var r in report.Rows)
        {
            var s = r.Stats;
            var l = s?.Latency ?? LatencyStats.Empty;
            var v = r.Server;
            string[] cells =
            [
                Esc(report.Scenario), Esc(r.Model), Fmt.N(r.Connections),
                s is null ? string.Empty : Fmt.N(s.Ok), s is null ? string.Empty : Fmt.N(s.Failed),
                s is null ? string.Empty : Fmt.N(s.FailRate, "0.######"), s is null ? string.Empty : Fmt.N(s.Rps, "0.#"),
                Fmt.N(l.MeanUs, "0.#"), Fmt.N(l.P50Us, "0"), Fmt.N(l.P75Us, "0"), Fmt.N(l.P95Us, "0"), Fmt.N(l.P99Us, "0"), Fmt.N(l.P999Us, "0"), Fmt.N(l.MaxUs, "0"),
                s is null ? string.Empty : Fmt.N(s.BytesIn), s is null ? string.Empty : Fmt.N(s.BytesOut),
                v is null ? string.Empty : Fmt.N(v.BaselineRssKb), v is null ? string.Empty : Fmt.N(v.PeakRssKb), v is null ? string.Empty : Fmt.N(v.HwmKb),
                v is null ? string.Empty : Fmt.N(v.MaxThreads), v is null ? string.Empty : Fmt.N(v.CpuPercent, "0.#"),
                ResultNotes.ServerMicrosPerOp(r) is { } us ? Fmt.N(us, "0.###") : string.Empty,
                s is null ? string.Empty : Fmt.N(s.GeneratorCpuPercent, "0.#"),
                s is null ? string.Empty : Fmt.N(s.StarvedConnections), s is null ? string.Empty : Fmt.N(s.Connections),
                Esc(r.Error ?? string.Empty),
            ];
            sb.Append(string.Join(',', cells));
            if (rounds)
            {
                var c = r.Rounds?.Choice;
                string[] more =
                [
                    c is null ? "1" : Fmt.N(c.Total), c is null ? string.Empty : Fmt.N(c.Completed), c is null ? string.Empty : Fmt.N(c.Failed), c is null ? string.Empty : Fmt.N(c.Round),
                    c?.MinRate is { } min ? Fmt.N(min, "0.#") : string.Empty, c?.MaxRate is { } max ? Fmt.N(max, "0.#") : string.Empty,
                    r.Rounds is null ? string.Empty : string.Join(';', r.Rounds.Rates.Select(x => x is { } v ? Fmt.N(v, "0.#") : string.Empty)),
                    Esc(c?.FirstFailure ?? string.Empty),
                ];
                sb.Append(',').Append(string.Join(',', more));
            }

            sb.AppendLine();
        }

        return sb.ToString();
    }

    /// <summary>Quotes a cell when it holds a comma, quote or line break.</summary>
    public static string Esc(string cell)
    {
        ArgumentNullException.ThrowIfNull(cell);
        return cell.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + cell.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : cell;
    }

    private static void Row(StringBuilder sb, string scenario, string interval, double start, double duration, double load, long ok, long failed, double rps, LatencyStats l, long bytesIn, long bytesOut, double cpu)
    {
        string[] cells =
        [
            Esc(scenario), interval, Fmt.N(start, "0.###"), Fmt.N(duration, "0.###"), double.IsNaN(load) ? string.Empty : Fmt.N(load, "0.#"),
            Fmt.N(ok), Fmt.N(failed), Fmt.N(rps, "0.#"),
            Fmt.N(l.MinUs, "0"), Fmt.N(l.MeanUs, "0.#"), Fmt.N(l.P50Us, "0"), Fmt.N(l.P75Us, "0"), Fmt.N(l.P95Us, "0"), Fmt.N(l.P99Us, "0"), Fmt.N(l.P999Us, "0"), Fmt.N(l.MaxUs, "0"),
            Fmt.N(bytesIn), Fmt.N(bytesOut), Fmt.N(cpu, "0.#"),
        ];
        sb.AppendLine(string.Join(',', cells));
    }
}
