using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using PipeChat.LoadTests.Harness;
using PipeChat.LoadTests.Sockets;

namespace PipeChat.LoadTests.Scenarios;

/// <summary>
/// A connection storm: every <see cref="WavePeriod"/> all N clients connect at the same instant, each
/// does one request (echo: a 16-byte echo; chat: welcome, <c>/quit</c>, <c>* bye</c>) and disconnects.
/// A request is one client's whole visit. Metrics: <c>success_pct</c>, <c>connect_p50_ms</c>/<c>_p99_ms</c>/<c>_max_ms</c>,
/// <c>refused</c> (connection refused: the listen backlog overflowed), <c>reset</c>, <c>timeouts</c>, <c>server_full</c>, <c>waves</c>.
/// </summary>
public static class StormScenario
{
    /// <summary>How often a wave of clients starts.</summary>
    public static readonly TimeSpan WavePeriod = TimeSpan.FromSeconds(1);

    // lets every copy be waiting when the first wave starts
    private static readonly TimeSpan FirstWaveDelay = TimeSpan.FromMilliseconds(200);

    /// <summary>Creates the scenario.</summary>
    public static ScenarioDefinition Create(ScenarioSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(settings.Connections);
        bool chat = settings.IsChat();
        var target = settings.TargetOr(chat ? ChatScenario.DefaultPort : EchoScenario.DefaultPort);
        int waves = Math.Max(1, (int)Math.Ceiling((settings.Duration - FirstWaveDelay) / WavePeriod));
        var storm = new Storm(settings, target, chat, waves);
        return new ScenarioDefinition
        {
            Name = "storm",
            RequestNoun = "visits",
            Init = storm.InitAsync,
            Step = storm.StepAsync,
            Clean = storm.CleanAsync,
            WarmUp = TimeSpan.Zero,
            LoadSimulations = [LoadSimulation.KeepConstant(settings.Connections, settings.Duration)],
            Settings = settings.Describe(
                target,
                ("a request", "one client's visit: connect, one request, close"),
                ("protocol", chat ? "chat" : "echo"),
                ("clients per wave", settings.Connections),
                ("waves", $"{waves}, one every {DurationFormat.Format(WavePeriod)}"),
                ("connect timeout", DurationFormat.Format(settings.ConnectTimeout))),
        };
    }

    private sealed class Storm(ScenarioSettings settings, IPEndPoint target, bool chat, int waves)
    {
        private readonly StatsCollector _connects = new();
        private int[] _wave = [];
        private long _firstWaveTs;
        private long _refused;
        private long _reset;
        private long _timeouts;
        private long _full;

        public Task InitAsync(ScenarioContext context)
        {
            _wave = new int[context.Copies];
            _firstWaveTs = Stopwatch.GetTimestamp() + (long)(FirstWaveDelay.TotalSeconds * Stopwatch.Frequency);
            return Task.CompletedTask;
        }

        public async ValueTask<StepResult> StepAsync(StepContext ctx)
        {
            int id = ctx.CopyId;
            int wave = _wave[id];
            if (wave >= waves)
            {
                await ctx.Scenario.Stopping.WaitAsync(ctx.CancellationToken).ConfigureAwait(false);
                return StepResult.Handled;
            }

            _wave[id] = wave + 1;
            long due = _firstWaveTs + (long)(wave * WavePeriod.TotalSeconds * Stopwatch.Frequency);
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, ctx.CancellationToken).ConfigureAwait(false);
            }

            long start = Stopwatch.GetTimestamp();
            try
            {
                var r = await ClientCycle.RunAsync(target, chat, 0, settings, id, ctx.CancellationToken).ConfigureAwait(false);
                _connects.RecordOk(r.ConnectTicks);
                ctx.Scenario.Stats.RecordOk(Stopwatch.GetTimestamp() - start, r.BytesOut, r.BytesIn);
            }
            catch (Exception ex) when (!ctx.CancellationToken.IsCancellationRequested)
            {
                Count(ex);
                ctx.Scenario.Stats.RecordFail(FailureReason.Of(ex));
            }

            return StepResult.Handled;
        }

        public Task CleanAsync(ScenarioContext context)
        {
            _connects.TakeInterval();
            var connect = LatencyStats.From(_connects.TotalHistogram);
            long ok = context.Stats.Ok, failed = context.Stats.Failed;
            context.Metrics["waves"] = waves;
            context.Metrics["success_pct"] = ok + failed > 0 ? 100.0 * ok / (ok + failed) : 0;
            context.Metrics["connect_p50_ms"] = connect.P50Us / 1000;
            context.Metrics["connect_p99_ms"] = connect.P99Us / 1000;
            context.Metrics["connect_max_ms"] = connect.MaxUs / 1000;
            context.Metrics["refused"] = Interlocked.Read(ref _refused);
            context.Metrics["reset"] = Interlocked.Read(ref _reset);
            context.Metrics["timeouts"] = Interlocked.Read(ref _timeouts);
            context.Metrics["server_full"] = Interlocked.Read(ref _full);
            return Task.CompletedTask;
        }

        private void Count(Exception ex)
        {
            var code = ex switch
            {
                SocketException s => s.SocketErrorCode,
                IOException { InnerException: SocketException s } => s.SocketErrorCode,
                _ => SocketError.Success,
            };
            if (code == SocketError.ConnectionRefused)
            {
                Interlocked.Increment(ref _refused);
            }
            else if (code == SocketError.ConnectionReset || ex is EndOfStreamException)
            {
                Interlocked.Increment(ref _reset);
            }
            else if (ex is TimeoutException)
            {
                Interlocked.Increment(ref _timeouts);
            }
            else if (ex is ServerRefusedException)
            {
                Interlocked.Increment(ref _full);
            }
        }
    }
}
