using System.Globalization;

namespace PipeChat.LoadTests.Harness;

/// <summary>Writes run progress to stderr: a live line on a terminal, or one line per interval.</summary>
internal sealed class ProgressReporter
{
    private readonly TextWriter? _writer;
    private readonly bool _live;
    private readonly string _name;
    private readonly double _totalSeconds;
    private int _lastLength;

    public ProgressReporter(RunOptions options, string name, TimeSpan measured)
    {
        _name = name;
        _totalSeconds = measured.TotalSeconds;
        var mode = options.Progress;
        if (mode == ProgressMode.Auto)
        {
            mode = options.ProgressWriter is null && !Console.IsErrorRedirected ? ProgressMode.Live : ProgressMode.Lines;
        }

        _live = mode == ProgressMode.Live;
        _writer = mode == ProgressMode.Off ? null : options.ProgressWriter ?? Console.Error;
    }

    public bool IsLive => _live && _writer is not null;

    public void WarmUp(TimeSpan warmUp)
    {
        if (_writer is not null && !_live && warmUp > TimeSpan.Zero)
        {
            _writer.WriteLine($"[{_name}] warm-up {DurationFormat.Format(warmUp)}");
        }
    }

    public void Live(double elapsedSeconds, bool warmingUp, long ok, long failed, double load, IntervalStats? last)
    {
        if (!IsLive)
        {
            return;
        }

        var inv = CultureInfo.InvariantCulture;
        string line = warmingUp
            ? string.Create(inv, $"[{_name}] warm-up {elapsedSeconds:0.0}s  load {load:0.#}")
            : string.Create(inv, $"[{_name}] {elapsedSeconds:0.0}/{_totalSeconds:0.#}s  load {load:0.#}  ok {ok:N0}  fail {failed:N0}") +
              (last is null ? string.Empty : string.Create(
                  inv,
                  $"  rps {last.Rps:N0}  p50 {last.Latency.P50Us / 1000:0.###}ms  p99 {last.Latency.P99Us / 1000:0.###}ms  cpu {last.CpuPercent:0}%"));
        int pad = Math.Max(0, _lastLength - line.Length);
        _lastLength = line.Length;
        _writer!.Write("\r" + line + new string(' ', pad));
        _writer.Flush();
    }

    public void Interval(IntervalStats interval)
    {
        if (_writer is null || _live)
        {
            return;
        }

        _writer.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"[{_name}] {interval.StartSeconds + interval.DurationSeconds:0.0}/{_totalSeconds:0.#}s  load {interval.TargetLoad:0.#}  ok {interval.Ok}  fail {interval.Failed}  rps {interval.Rps:0}  p50 {interval.Latency.P50Us / 1000:0.###}ms  p99 {interval.Latency.P99Us / 1000:0.###}ms  cpu {interval.CpuPercent:0}%"));
    }

    public void Finish()
    {
        if (IsLive && _lastLength > 0)
        {
            _writer!.Write("\r" + new string(' ', _lastLength) + "\r");
            _writer.Flush();
        }
    }
}
