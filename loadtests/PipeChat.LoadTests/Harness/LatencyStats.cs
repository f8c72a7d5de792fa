using HdrHistogram;

namespace PipeChat.LoadTests.Harness;

/// <summary>Latency summary in microseconds (HdrHistogram, 3 significant digits).</summary>
public sealed record LatencyStats(
    long Count,
    double MinUs,
    double MeanUs,
    double MaxUs,
    double P50Us,
    double P75Us,
    double P95Us,
    double P99Us,
    double P999Us,
    double StdDevUs)
{
    /// <summary>Gets an empty summary.</summary>
    public static LatencyStats Empty { get; } = new(0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

    /// <summary>Summarizes a histogram of microsecond values.</summary>
    public static LatencyStats From(HistogramBase histogram)
    {
        ArgumentNullException.ThrowIfNull(histogram);
        if (histogram.TotalCount == 0)
        {
            return Empty;
        }

        long min = 0;
        foreach (var v in histogram.RecordedValues())
        {
            min = histogram.LowestEquivalentValue(v.ValueIteratedTo);
            break;
        }

        return new LatencyStats(
            histogram.TotalCount,
            min,
            histogram.GetMean(),
            histogram.GetMaxValue(),
            histogram.GetValueAtPercentile(50),
            histogram.GetValueAtPercentile(75),
            histogram.GetValueAtPercentile(95),
            histogram.GetValueAtPercentile(99),
            histogram.GetValueAtPercentile(99.9),
            histogram.GetStdDeviation());
    }
}
