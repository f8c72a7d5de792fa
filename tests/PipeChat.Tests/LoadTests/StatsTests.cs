using System.Diagnostics;
using PipeChat.LoadTests.Harness;

namespace PipeChat.Tests.LoadTests;

public class StatsTests
{
    private static long MsToTicks(double ms) => (long)(ms / 1000 * Stopwatch.Frequency);

    [Fact]
    public void Percentiles_come_from_the_histogram_in_microseconds()
    {
        var stats = new StatsCollector();
        for (int ms = 1; ms <= 1000; ms++)
        {
            stats.RecordOk(MsToTicks(ms), 10, 20);
        }

        stats.TakeInterval();
        var l = LatencyStats.From(stats.TotalHistogram);
        Assert.Equal(1000, l.Count);
        Assert.Equal(1000, l.MinUs, 1000 * 0.002);
        Assert.Equal(500_000, l.P50Us, 500_000 * 0.002);
        Assert.Equal(750_000, l.P75Us, 750_000 * 0.002);
        Assert.Equal(950_000, l.P95Us, 950_000 * 0.002);
        Assert.Equal(990_000, l.P99Us, 990_000 * 0.002);
        Assert.Equal(999_000, l.P999Us, 999_000 * 0.002);
        Assert.Equal(1_000_000, l.MaxUs, 1_000_000 * 0.002);
        Assert.Equal(500_500, l.MeanUs, 500_500 * 0.002);
        Assert.Equal(10_000, stats.BytesOut);
        Assert.Equal(20_000, stats.BytesIn);
    }

    [Fact]
    public void Intervals_hold_deltas_and_the_total_accumulates()
    {
        var stats = new StatsCollector();
        stats.RecordOk(MsToTicks(1));
        stats.RecordOk(MsToTicks(2));
        stats.RecordFail("timeout");
        var first = stats.TakeInterval();
        stats.RecordOk(MsToTicks(3));
        stats.RecordFail("timeout", 2);
        stats.RecordFail("closed by peer");
        var second = stats.TakeInterval();

        Assert.Equal((2, 1), (first.Ok, first.Failed));
        Assert.Equal((1, 3), (second.Ok, second.Failed));
        Assert.Equal(2, first.Latency.Count);
        Assert.Equal(1, second.Latency.Count);
        Assert.Equal(3, stats.TotalHistogram.TotalCount);
        Assert.Equal(3, stats.Errors["timeout"]);
        Assert.Equal(1, stats.Errors["closed by peer"]);

        stats.Reset();
        Assert.Equal(0, stats.Ok + stats.Failed);
        Assert.Equal(0, stats.TotalHistogram.TotalCount);
        Assert.Empty(stats.Errors);
        Assert.Equal(0, stats.TakeInterval().Latency.Count);
    }

    [Fact]
    public void Huge_latencies_are_clamped_not_thrown()
    {
        var stats = new StatsCollector();
        stats.RecordOk(Stopwatch.Frequency * 3600);
        stats.TakeInterval();
        Assert.InRange(LatencyStats.From(stats.TotalHistogram).MaxUs, StatsCollector.HighestTrackableMicros * 0.99, StatsCollector.HighestTrackableMicros * 1.01);
    }

    [Fact]
    public void Empty_histogram_gives_zeros() => Assert.Equal(LatencyStats.Empty, LatencyStats.From(new StatsCollector().TotalHistogram));

    [Fact]
    public void Ticks_convert_to_microseconds() => Assert.Equal(1500, StatsCollector.TicksToMicros(Stopwatch.Frequency * 15 / 10_000));

    [Fact]
    public void Starved_connections_are_those_without_a_success_since_the_warm_up_ended()
    {
        var stats = new StatsCollector();
        stats.TrackConnections(3);
        stats.RecordOk(0, 10);
        stats.RecordOk(1, 10);
        stats.Reset(); // warm-up over: connection 0's success no longer counts
        stats.RecordOk(1, 10);
        stats.RecordOk(1, 10);
        stats.RecordFail(FailureReason.Timeout);

        Assert.Equal(3, stats.TrackedConnections);
        Assert.Equal(2, stats.StarvedConnections);
        Assert.Equal(2, stats.Ok);
    }
}
