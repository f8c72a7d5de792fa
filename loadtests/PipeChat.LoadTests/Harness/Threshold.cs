using System.Globalization;
using System.Text.RegularExpressions;

namespace PipeChat.LoadTests.Harness;

/// <summary>A comparison operator of a threshold.</summary>
public enum ThresholdOperator
{
    /// <summary><c>&lt;</c>.</summary>
    Less,

    /// <summary><c>&lt;=</c>.</summary>
    LessOrEqual,

    /// <summary><c>&gt;</c>.</summary>
    Greater,

    /// <summary><c>&gt;=</c>.</summary>
    GreaterOrEqual,

    /// <summary><c>=</c> or <c>==</c>.</summary>
    Equal,

    /// <summary><c>!=</c>.</summary>
    NotEqual,
}

/// <summary>
/// A pass/fail rule on a run's stats, parsed from text such as <c>p99 &lt; 20ms</c>, <c>fail rate = 0</c>,
/// <c>rps &gt; 1000</c>. Metrics: <c>min mean max p50 p75 p95 p99 p99.9</c> (latency; unit us, ms or s,
/// default ms), <c>rps</c>, <c>ok</c>, <c>failed</c>, <c>fail rate</c> (fraction, or with <c>%</c>),
/// <c>cpu</c> (generator, % of one core), <c>bytes in</c>, <c>bytes out</c>, or the name of a
/// scenario metric such as <c>lost</c>. Numbers may end in <c>k</c> or <c>M</c>.
/// </summary>
public sealed partial record Threshold
{
    private static readonly string[] LatencyMetrics = ["min", "mean", "max", "p50", "p75", "p95", "p99", "p99.9"];

    private Threshold(string text, string metric, ThresholdOperator op, double value)
    {
        Text = text;
        Metric = metric;
        Operator = op;
        Value = value;
    }

    /// <summary>Gets the text the threshold was parsed from.</summary>
    public string Text { get; }

    /// <summary>Gets the canonical metric name (<c>p99</c>, <c>fail_rate</c>, <c>rps</c>, or a scenario metric).</summary>
    public string Metric { get; }

    /// <summary>Gets the comparison.</summary>
    public ThresholdOperator Operator { get; }

    /// <summary>Gets the limit, in the metric's base unit (microseconds for latency, a fraction for fail rate).</summary>
    public double Value { get; }

    /// <summary>Gets a value indicating whether the metric is a latency.</summary>
    public bool IsLatency => LatencyMetrics.Contains(Metric);

    /// <summary>Parses a threshold.</summary>
    /// <exception cref="FormatException">The text is not a threshold.</exception>
    public static Threshold Parse(string text) =>
        TryParse(text, out var threshold, out var error) ? threshold : throw new FormatException(error);

    /// <summary>Tries to parse a threshold; <paramref name="error"/> says what is wrong.</summary>
    public static bool TryParse(string? text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Threshold? threshold, out string? error)
    {
        threshold = null;
        error = null;
        var match = text is null ? null : Grammar().Match(text);
        if (match is null || !match.Success)
        {
            error = $"threshold '{text}' is not '<metric> <op> <number>[unit]' (e.g. 'p99 < 20ms', 'fail rate = 0', 'rps > 1000')";
            return false;
        }

        string metric = CanonicalMetric(match.Groups["metric"].Value);
        if (metric.Length == 0)
        {
            error = $"threshold '{text}': unknown metric '{match.Groups["metric"].Value.Trim()}'";
            return false;
        }

        var op = match.Groups["op"].Value switch
        {
            "<" => ThresholdOperator.Less,
            "<=" => ThresholdOperator.LessOrEqual,
            ">" => ThresholdOperator.Greater,
            ">=" => ThresholdOperator.GreaterOrEqual,
            "!=" => ThresholdOperator.NotEqual,
            _ => ThresholdOperator.Equal,
        };
        if (!double.TryParse(match.Groups["number"].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double number))
        {
            error = $"threshold '{text}': '{match.Groups["number"].Value}' is not a number";
            return false;
        }

        string unit = match.Groups["unit"].Value;
        double? value = ScaleValue(metric, number, unit);
        if (value is null)
        {
            error = $"threshold '{text}': unit '{unit}' does not fit metric '{metric}'";
            return false;
        }

        threshold = new Threshold(text!.Trim(), metric, op, value.Value);
        return true;
    }

    /// <summary>Checks the threshold against a run's stats.</summary>
    public ThresholdResult Evaluate(ScenarioStats stats)
    {
        ArgumentNullException.ThrowIfNull(stats);
        double? actual = Actual(stats);
        if (actual is null)
        {
            return new ThresholdResult(this, null, false, $"{Text}: the scenario reported no metric '{Metric}'");
        }

        double a = actual.Value;
        bool passed = Operator switch
        {
            ThresholdOperator.Less => a < Value,
            ThresholdOperator.LessOrEqual => a <= Value,
            ThresholdOperator.Greater => a > Value,
            ThresholdOperator.GreaterOrEqual => a >= Value,
            ThresholdOperator.NotEqual => a != Value,
            _ => a == Value,
        };
        return new ThresholdResult(this, a, passed, $"{Text}: actual {FormatValue(a)} -> {(passed ? "ok" : "BROKEN")}");
    }

    /// <summary>Formats a value of this threshold's metric for people.</summary>
    public string FormatValue(double value)
    {
        var inv = CultureInfo.InvariantCulture;
        return Metric switch
        {
            _ when IsLatency => (value / 1000).ToString("0.###", inv) + " ms",
            "fail_rate" => value.ToString("0.######", inv) + " (" + (value * 100).ToString("0.###", inv) + " %)",
            "cpu" => value.ToString("0.#", inv) + " %",
            _ => value.ToString("0.###", inv),
        };
    }

    private static string CanonicalMetric(string raw)
    {
        string m = WhiteSpace().Replace(raw.Trim().ToLowerInvariant(), " ");
        return m switch
        {
            "min" or "mean" or "max" or "p50" or "p75" or "p95" or "p99" => m,
            "p99.9" or "p999" => "p99.9",
            "median" => "p50",
            "rps" or "throughput" => "rps",
            "ok" or "ok count" => "ok",
            "fail" or "failed" or "fails" or "failures" or "fail count" => "failed",
            "fail rate" or "fail_rate" or "failrate" or "error rate" => "fail_rate",
            "cpu" or "generator cpu" => "cpu",
            "bytes in" or "bytes_in" => "bytes_in",
            "bytes out" or "bytes_out" => "bytes_out",
            _ when Identifier().IsMatch(m) => m,
            _ => string.Empty,
        };
    }

    private static double? ScaleValue(string metric, double number, string unit)
    {
        if (LatencyMetrics.Contains(metric))
        {
            return unit switch
            {
                "" or "ms" => number * 1000,
                "us" or "µs" => number,
                "s" => number * 1_000_000,
                _ => null,
            };
        }

        return (metric, unit) switch
        {
            ("fail_rate", "%") => number / 100,
            ("cpu", "%") => number,
            (_, "") => number,
            (_, "k") => number * 1e3,
            (_, "M") => number * 1e6,
            _ => null,
        };
    }

    private double? Actual(ScenarioStats s) => Metric switch
    {
        "min" => s.Latency.MinUs,
        "mean" => s.Latency.MeanUs,
        "max" => s.Latency.MaxUs,
        "p50" => s.Latency.P50Us,
        "p75" => s.Latency.P75Us,
        "p95" => s.Latency.P95Us,
        "p99" => s.Latency.P99Us,
        "p99.9" => s.Latency.P999Us,
        "rps" => s.Rps,
        "ok" => s.Ok,
        "failed" => s.Failed,
        "fail_rate" => s.FailRate,
        "cpu" => s.GeneratorCpuPercent,
        "bytes_in" => s.BytesIn,
        "bytes_out" => s.BytesOut,
        _ => s.Metrics.TryGetValue(Metric, out double v) ? v : null,
    };

    [GeneratedRegex(@"^\s*(?<metric>[A-Za-z_][A-Za-z0-9_. ]*?)\s*(?<op><=|>=|==|!=|<|>|=)\s*(?<number>[0-9]+(\.[0-9]+)?)\s*(?<unit>[A-Za-zµ%]*)\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex Grammar();

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhiteSpace();

    [GeneratedRegex(@"^[a-z_][a-z0-9_.]*$")]
    private static partial Regex Identifier();
}

/// <summary>The outcome of one threshold.</summary>
public sealed record ThresholdResult(Threshold Threshold, double? Actual, bool Passed, string Message);
