using PipeChat.LoadTests.Compare;
using PipeChat.LoadTests.Harness;
using PipeChat.LoadTests.Reports;

namespace PipeChat.Tests.LoadTests;

internal static class TestData
{
    public static LatencyStats Latency(double p99Us = 2000) =>
        new(1000, 50, p99Us / 2, p99Us * 3, p99Us / 2, p99Us * 0.6, p99Us * 0.9, p99Us, p99Us * 1.5, 100);

    public static ScenarioStats Stats(
        long ok = 1000,
        long failed = 0,
        double seconds = 3,
        double p99Us = 2000,
        Dictionary<string, double>? metrics = null,
        Dictionary<string, long>? errors = null,
        string name = "echo")
    {
        var intervals = Enumerable.Range(0, (int)Math.Ceiling(seconds)).Select(i => new IntervalStats(
            i, i, 1, ok / (long)Math.Ceiling(seconds), failed / (long)Math.Ceiling(seconds), ok / Math.Ceiling(seconds), 6400, 6400, Latency(p99Us + (i * 100)), 50, 80 + i)).ToArray();
        return new ScenarioStats
        {
            Name = name,
            LoadSimulations = ["KeepConstant(copies: 50, during: 3s)"],
            DurationSeconds = seconds,
            Ok = ok,
            Failed = failed,
            BytesIn = 64 * ok,
            BytesOut = 64 * ok,
            Latency = Latency(p99Us),
            Intervals = intervals,
            Errors = errors ?? [],
            Metrics = metrics ?? [],
            GeneratorCpuPercent = 85,
            Settings = new Dictionary<string, string> { ["target"] = "127.0.0.1:7007", ["size"] = "64" },
        };
    }

    public static CompareReport Compare(params string[] models)
    {
        int[] conns = [1, 10, 100];
        var rows = new List<CompareRow>();
        foreach (int c in conns)
        {
            foreach (var (model, i) in models.Select((m, i) => (m, i)))
            {
                rows.Add(new CompareRow(
                    model,
                    c,
                    Stats(ok: 1000 * c * (i + 1), p99Us: 100 * c * (i + 1)),
                    new ServerSample(20_000, 30_000 + (c * 10), 31_000 + (c * 10), 10 + (i * c), 90, 20),
                    null,
                    []));
            }
        }

        return new CompareReport("echo", models, conns, rows, new Dictionary<string, string> { ["size"] = "64" }, "dotnet pipechat.dll echo --model {model} --port 0", DateTimeOffset.UnixEpoch);
    }
}
