using PipeChat.LoadTests.Harness;

namespace PipeChat.LoadTests.Scenarios;

/// <summary>
/// Whether a server's RSS stayed flat over a soak. The first half of the run is where pools, JIT
/// and the GC's heap settle, so only the second half is judged: RSS is flat when its growth over the
/// second half (the least-squares slope of those samples times the half's length) is at most
/// <see cref="AllowedGrowthFraction"/> of the first half's mean RSS, or <see cref="AllowedGrowthMiB"/>,
/// whichever is larger. A leak that grows with churned connections shows as a steady positive slope.
/// </summary>
public static class RssTrend
{
    /// <summary>Growth allowed over the second half, as a fraction of the first half's mean RSS.</summary>
    public const double AllowedGrowthFraction = 0.05;

    /// <summary>Growth always allowed over the second half, in MiB (GC and allocator noise).</summary>
    public const double AllowedGrowthMiB = 1.0;

    /// <summary>Judges a series of RSS samples in MiB; null with fewer than 4 samples.</summary>
    public static RssVerdict? Of(IReadOnlyList<SeriesPoint> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (samples.Count < 4)
        {
            return null;
        }

        // halves by sample count: samples come at a fixed interval (a late one must not empty a half)
        var first = samples.Take(samples.Count / 2).ToArray();
        var second = samples.Skip(samples.Count / 2).ToArray();
        double firstMean = first.Average(p => p.Value);
        double secondSlope = Slope(second);
        double growth = secondSlope * (second[^1].Seconds - second[0].Seconds);
        double allowed = Math.Max(AllowedGrowthFraction * firstMean, AllowedGrowthMiB);
        return new RssVerdict(
            samples[0].Value,
            samples[^1].Value,
            samples.Max(p => p.Value),
            Slope(first) * 60,
            secondSlope * 60,
            growth,
            allowed,
            growth <= allowed);
    }

    // Least-squares slope of value over seconds (MiB per second).
    private static double Slope(SeriesPoint[] points)
    {
        double mx = points.Average(p => p.Seconds), my = points.Average(p => p.Value);
        double num = 0, den = 0;
        foreach (var p in points)
        {
            num += (p.Seconds - mx) * (p.Value - my);
            den += (p.Seconds - mx) * (p.Seconds - mx);
        }

        return den > 0 ? num / den : 0;
    }
}

/// <summary>The RSS verdict of a soak (MiB; slopes in MiB per minute).</summary>
public sealed record RssVerdict(
    double FirstMiB,
    double LastMiB,
    double PeakMiB,
    double FirstHalfSlopeMiBPerMin,
    double SecondHalfSlopeMiBPerMin,
    double SecondHalfGrowthMiB,
    double AllowedGrowthMiB,
    bool Flat);
