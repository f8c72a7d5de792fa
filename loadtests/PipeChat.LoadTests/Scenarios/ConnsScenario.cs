using System.Diagnostics;
using System.Net;
using PipeChat.LoadTests.Harness;
using PipeChat.LoadTests.Sockets;

namespace PipeChat.LoadTests.Scenarios;

/// <summary>
/// Idle-connection capacity: ramps up to N connections (at most <c>MaxPendingConnects</c>
/// unconfirmed at once, or along an explicit ramp), confirms each with one small echo, holds them
/// for the duration, then checks each is still alive with a second echo. A request here is one
/// connection established and confirmed; its latency is connect + first echo.
/// Metrics: <c>established</c>, <c>connect_failures</c>, <c>time_to_establish_ms</c>, <c>alive_at_end</c>.
/// </summary>
public static class ConnsScenario
{
    /// <summary>The probe size in bytes.</summary>
    public const int ProbeSize = 16;

    private const int MaxAttempts = 3;

    /// <summary>Creates the scenario.</summary>
    public static ScenarioDefinition Create(ScenarioSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(settings.Connections);
        var target = settings.TargetOr(EchoScenario.DefaultPort);
        var state = new Holder(settings, target);
        var phases = new List<LoadSimulation>();
        if (settings.Ramp > TimeSpan.Zero)
        {
            phases.Add(LoadSimulation.RampingConstant(settings.Connections, settings.Ramp));
        }

        phases.Add(LoadSimulation.KeepConstant(settings.Connections, settings.Duration));
        return new ScenarioDefinition
        {
            Name = "conns",
            RequestNoun = "connections confirmed",
            Init = state.InitAsync,
            Step = state.StepAsync,
            Clean = state.CleanAsync,
            WarmUp = settings.WarmUp ?? TimeSpan.Zero,
            LoadSimulations = phases,
            Settings = settings.Describe(target, ("a request", "one connection established and confirmed by an echo (latency: connect + first echo)"), ("connections", settings.Connections), ("probe", ProbeSize), ("max pending connects", settings.MaxPendingConnects)),
        };
    }

    private sealed class Holder(ScenarioSettings settings, IPEndPoint target) : IDisposable
    {
        private readonly EchoPattern _pattern = new(ProbeSize);
        private readonly SemaphoreSlim _pending = new(Math.Max(1, settings.MaxPendingConnects));
        private TcpConnection?[] _connections = [];
        private int[] _attempts = [];
        private long _firstAttemptTs;
        private long _lastEstablishedTs;
        private int _established;
        private int _gaveUp;

        public Task InitAsync(ScenarioContext context)
        {
            _connections = new TcpConnection?[context.Copies];
            _attempts = new int[context.Copies];
            return Task.CompletedTask;
        }

        public async ValueTask<StepResult> StepAsync(StepContext ctx)
        {
            int id = ctx.CopyId;
            if (_connections[id] is not null || _attempts[id] >= MaxAttempts)
            {
                // hold: nothing to do until the run stops
                await ctx.Scenario.Stopping.WaitAsync(ctx.CancellationToken).ConfigureAwait(false);
                return StepResult.Handled;
            }

            await _pending.WaitAsync(ctx.CancellationToken).ConfigureAwait(false);
            TcpConnection? conn = null;
            try
            {
                if (ctx.Scenario.IsStopping)
                {
                    return StepResult.Handled;
                }

                long start = Stopwatch.GetTimestamp();
                Interlocked.CompareExchange(ref _firstAttemptTs, start, 0);
                _attempts[id]++;
                conn = await TcpConnection.ConnectAsync(target, settings.ConnectTimeout, settings.OperationTimeout, ctx.CancellationToken).ConfigureAwait(false);
                await ProbeAsync(conn, id, 0).ConfigureAwait(false);
                long end = Stopwatch.GetTimestamp();
                ctx.Scenario.Stats.RecordOk(end - start, ProbeSize, ProbeSize);
                _connections[id] = conn;
                conn = null;
                Interlocked.Increment(ref _established);
                InterlockedMax(ref _lastEstablishedTs, end);
            }
            catch (Exception ex) when (!ctx.CancellationToken.IsCancellationRequested)
            {
                ctx.Scenario.Stats.RecordFail(FailureReason.Of(ex));
                if (_attempts[id] >= MaxAttempts)
                {
                    Interlocked.Increment(ref _gaveUp);
                }
            }
            finally
            {
                conn?.Dispose();
                _pending.Release();
            }

            return StepResult.Handled;
        }

        public async Task CleanAsync(ScenarioContext context)
        {
            int alive = 0;
            var failures = await Connector.ConnectManyAsync(
                _connections.Length,
                64,
                async (i, _) =>
                {
                    if (_connections[i] is { } c)
                    {
                        await ProbeAsync(c, i, 1).ConfigureAwait(false);
                        Interlocked.Increment(ref alive);
                    }
                },
                context.CancellationToken).ConfigureAwait(false);
            foreach (var group in failures.GroupBy(FailureReason.Of))
            {
                context.Stats.RecordFail("dropped while idle: " + group.Key, group.Count());
            }

            context.Metrics["target"] = _connections.Length;
            context.Metrics["established"] = Volatile.Read(ref _established);
            context.Metrics["connect_failures"] = _connections.Length - Volatile.Read(ref _established);
            context.Metrics["alive_at_end"] = alive;
            if (_firstAttemptTs != 0 && _lastEstablishedTs != 0)
            {
                context.Metrics["time_to_establish_ms"] = Stopwatch.GetElapsedTime(_firstAttemptTs, _lastEstablishedTs).TotalMilliseconds;
            }

            foreach (var c in _connections)
            {
                c?.Dispose();
            }

            Dispose();
        }

        public void Dispose() => _pending.Dispose();

        private static void InterlockedMax(ref long location, long value)
        {
            long current = Volatile.Read(ref location);
            while (value > current)
            {
                long seen = Interlocked.CompareExchange(ref location, value, current);
                if (seen == current)
                {
                    return;
                }

                current = seen;
            }
        }

        private async Task ProbeAsync(TcpConnection conn, int id, long seq)
        {
            var buffer = new byte[ProbeSize];
            await conn.SendAsync(_pattern.Message(id, seq)).ConfigureAwait(false);
            await conn.ReceiveExactlyAsync(buffer).ConfigureAwait(false);
            if (!_pattern.Matches(id, seq, 0, buffer))
            {
                throw new InvalidDataException(FailureReason.Mismatch);
            }
        }
    }
}
