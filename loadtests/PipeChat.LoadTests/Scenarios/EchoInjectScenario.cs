using System.Net;
using System.Runtime.CompilerServices;
using PipeChat.LoadTests.Harness;
using PipeChat.LoadTests.Sockets;

namespace PipeChat.LoadTests.Scenarios;

/// <summary>
/// Open-loop TCP echo: requests are injected at a fixed rate, independent of responses, over a
/// pool of connections (one request in flight per connection). Latency runs from the time a
/// request was due, so a slow server cannot hide queueing (no coordinated omission).
/// </summary>
public static class EchoInjectScenario
{
    /// <summary>The default rate in requests per second.</summary>
    public const int DefaultRate = 1000;

    /// <summary>Creates the scenario.</summary>
    public static ScenarioDefinition Create(ScenarioSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(settings.Connections);
        var target = settings.TargetOr(EchoScenario.DefaultPort);
        int rate = settings.Rate > 0 ? settings.Rate : DefaultRate;
        var state = new Pool(settings, target);
        var phases = new List<LoadSimulation>();
        if (settings.Ramp > TimeSpan.Zero)
        {
            phases.Add(LoadSimulation.RampingInject(rate, TimeSpan.FromSeconds(1), settings.Ramp));
        }

        phases.Add(LoadSimulation.Inject(rate, TimeSpan.FromSeconds(1), settings.Duration));
        return new ScenarioDefinition
        {
            Name = "echo-inject",
            Init = state.InitAsync,
            Step = state.StepAsync,
            Clean = state.CleanAsync,
            WarmUp = settings.WarmUp ?? TimeSpan.FromSeconds(2),
            InjectConcurrency = settings.Connections,
            LoadSimulations = phases,
            Settings = settings.Describe(target, ("a request", "one message sent when due and echoed back (latency from when it was due)"), ("connections", settings.Connections), ("size", settings.MessageSize), ("rate", rate)),
        };
    }

    private sealed class Pool(ScenarioSettings settings, IPEndPoint target)
    {
        private readonly EchoPattern _pattern = new(settings.MessageSize);
        private TcpConnection?[] _connections = [];
        private byte[][] _buffers = [];
        private long[] _sequences = [];

        public async Task InitAsync(ScenarioContext context)
        {
            int n = context.Copies;
            _connections = new TcpConnection?[n];
            _buffers = Enumerable.Range(0, n).Select(_ => new byte[settings.MessageSize]).ToArray();
            _sequences = new long[n];
            var failures = await Connector.ConnectManyAsync(
                n,
                settings.MaxPendingConnects,
                async (i, ct) => _connections[i] = await TcpConnection.ConnectAsync(target, settings.ConnectTimeout, settings.OperationTimeout, context.CancellationToken, tls: settings.Tls).ConfigureAwait(false),
                context.CancellationToken).ConfigureAwait(false);
            context.Metrics["init_connect_failures"] = failures.Count;
            if (failures.Count == n && n > 0)
            {
                throw new InvalidOperationException($"cannot connect to {target}: {failures[0].Message}");
            }
        }

        public Task CleanAsync(ScenarioContext context)
        {
            foreach (var c in _connections)
            {
                c?.Dispose();
            }

            return Task.CompletedTask;
        }

        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
        public async ValueTask<StepResult> StepAsync(StepContext ctx)
        {
            int id = ctx.CopyId;
            try
            {
                var conn = _connections[id] ??= await TcpConnection.ConnectAsync(target, settings.ConnectTimeout, settings.OperationTimeout, ctx.CancellationToken, tls: settings.Tls).ConfigureAwait(false);
                long seq = _sequences[id]++;
                await conn.SendAsync(_pattern.Message(id, seq)).ConfigureAwait(false);
                await conn.ReceiveExactlyAsync(_buffers[id]).ConfigureAwait(false);
                if (_pattern.Matches(id, seq, 0, _buffers[id]))
                {
                    return StepResult.Ok(settings.MessageSize, settings.MessageSize);
                }

                Drop(id);
                return StepResult.Fail(FailureReason.Mismatch, settings.MessageSize, settings.MessageSize);
            }
            catch (Exception ex) when (!ctx.CancellationToken.IsCancellationRequested)
            {
                Drop(id);
                return StepResult.Fail(FailureReason.Of(ex));
            }
        }

        private void Drop(int id)
        {
            _connections[id]?.Dispose();
            _connections[id] = null;
            _sequences[id] = 0;
        }
    }
}
