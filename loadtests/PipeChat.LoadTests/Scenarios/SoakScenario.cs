using System.Diagnostics;
using System.Net;
using PipeChat.LoadTests.Compare;
using PipeChat.LoadTests.Harness;

namespace PipeChat.LoadTests.Scenarios;

/// <summary>
/// Connection churn: <c>--rate</c> short-lived clients per second (at most N at once) each connect,
/// exchange <see cref="MessagesPerClient"/> messages (echo, or chat lines then <c>/quit</c>) and leave,
/// for the whole duration. When the server's PID is known (compare, or <c>--server-pid</c>) its RSS is
/// sampled into the series <c>server_rss_mib</c> and judged by <see cref="RssTrend"/> (metric
/// <c>rss_flat</c> = 1 or 0). A request is one client's visit.
/// </summary>
public static class SoakScenario
{
    /// <summary>The default clients per second.</summary>
    public const int DefaultRate = 100;

    /// <summary>Messages each client sends after its first one.</summary>
    public const int MessagesPerClient = 3;

    /// <summary>The series of server RSS samples, in MiB.</summary>
    public const string RssSeries = "server_rss_mib";

    /// <summary>Creates the scenario.</summary>
    public static ScenarioDefinition Create(ScenarioSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(settings.Connections);
        bool chat = settings.IsChat();
        var target = settings.TargetOr(chat ? ChatScenario.DefaultPort : EchoScenario.DefaultPort);
        int rate = settings.Rate > 0 ? settings.Rate : DefaultRate;
        var soak = new Soak(settings, target, chat);
        return new ScenarioDefinition
        {
            Name = "soak",
            RequestNoun = "visits",
            Init = soak.InitAsync,
            Step = soak.StepAsync,
            Clean = soak.CleanAsync,
            WarmUp = settings.WarmUp ?? TimeSpan.Zero,
            InjectConcurrency = settings.Connections,
            LoadSimulations = [LoadSimulation.Inject(rate, TimeSpan.FromSeconds(1), settings.Duration)],
            Settings = settings.Describe(
                target,
                ("a request", "one client's visit: connect, a few messages, close"),
                ("protocol", chat ? "chat" : "echo"),
                ("clients/s", rate),
                ("clients at once (max)", settings.Connections),
                ("messages per client", MessagesPerClient + 1),
                ("server RSS", settings.ServerPid is { } pid
                    ? $"sampled every {DurationFormat.Format(settings.RssSampleInterval)} (pid {pid})"
                    : "not sampled: the server's PID is unknown (compare knows it; run needs --server-pid)")),
        };
    }

    private sealed class Soak(ScenarioSettings settings, IPEndPoint target, bool chat) : IDisposable
    {
        private readonly List<SeriesPoint> _rss = [];
        private readonly CancellationTokenSource _stopSampling = new();
        private Task _sampler = Task.CompletedTask;

        public Task InitAsync(ScenarioContext context)
        {
            if (settings.ServerPid is { } pid)
            {
                _sampler = Task.Run(() => SampleAsync(pid), CancellationToken.None);
            }

            return Task.CompletedTask;
        }

        public async ValueTask<StepResult> StepAsync(StepContext ctx)
        {
            var r = await ClientCycle.RunAsync(target, chat, MessagesPerClient, settings, ctx.CopyId, ctx.CancellationToken).ConfigureAwait(false);
            return StepResult.Ok(r.BytesOut, r.BytesIn);
        }

        public async Task CleanAsync(ScenarioContext context)
        {
            await _stopSampling.CancelAsync().ConfigureAwait(false);
            await _sampler.ConfigureAwait(false);
            Dispose();
            if (settings.ServerPid is null)
            {
                return;
            }

            SeriesPoint[] samples;
            lock (_rss)
            {
                samples = [.. _rss];
            }

            context.Series[RssSeries] = samples;
            context.Metrics["rss_samples"] = samples.Length;
            if (RssTrend.Of(samples) is { } v)
            {
                context.Metrics["rss_first_mib"] = v.FirstMiB;
                context.Metrics["rss_last_mib"] = v.LastMiB;
                context.Metrics["rss_peak_mib"] = v.PeakMiB;
                context.Metrics["rss_slope_first_half_mib_per_min"] = v.FirstHalfSlopeMiBPerMin;
                context.Metrics["rss_slope_second_half_mib_per_min"] = v.SecondHalfSlopeMiBPerMin;
                context.Metrics["rss_growth_second_half_mib"] = v.SecondHalfGrowthMiB;
                context.Metrics["rss_growth_allowed_mib"] = v.AllowedGrowthMiB;
                context.Metrics["rss_flat"] = v.Flat ? 1 : 0;
            }
        }

        private async Task SampleAsync(int pid)
        {
            long start = Stopwatch.GetTimestamp();
            var token = _stopSampling.Token;
            while (true)
            {
                if (ProcStatus.Read(pid) is { } status)
                {
                    lock (_rss)
                    {
                        _rss.Add(new SeriesPoint(Stopwatch.GetElapsedTime(start).TotalSeconds, status.RssKb / 1024.0));
                    }
                }

                try
                {
                    await Task.Delay(settings.RssSampleInterval, token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }

        public void Dispose() => _stopSampling.Dispose();
    }
}
