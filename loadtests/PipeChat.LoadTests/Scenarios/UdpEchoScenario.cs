using System.Buffers.Binary;
using System.Net;
using System.Runtime.CompilerServices;
using PipeChat.LoadTests.Harness;
using PipeChat.LoadTests.Sockets;

namespace PipeChat.LoadTests.Scenarios;

/// <summary>
/// UDP echo (closed model): N sockets, each sending one datagram of <c>size</c> bytes and waiting
/// for it to come back. No reply within the timeout is a failed request (the socket is then
/// replaced, so a late reply cannot be mistaken for the next one). Datagrams of 8 bytes or more
/// carry a sequence number; stale replies are skipped; every byte is checked.
/// </summary>
public static class UdpEchoScenario
{
    /// <summary>The default per-datagram timeout.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(1);

    /// <summary>Creates the scenario.</summary>
    public static ScenarioDefinition Create(ScenarioSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(settings.Connections);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(settings.MessageSize, 65_507);
        var target = settings.TargetOr(EchoScenario.DefaultPort);
        var state = new Sockets(settings, target);
        var phases = new List<LoadSimulation>();
        if (settings.Ramp > TimeSpan.Zero)
        {
            phases.Add(LoadSimulation.RampingConstant(settings.Connections, settings.Ramp));
        }

        phases.Add(LoadSimulation.KeepConstant(settings.Connections, settings.Duration));
        return new ScenarioDefinition
        {
            Name = "udp-echo",
            Init = state.InitAsync,
            Step = state.StepAsync,
            Clean = state.CleanAsync,
            WarmUp = settings.WarmUp ?? TimeSpan.FromSeconds(2),
            LoadSimulations = phases,
            Settings = settings.Describe(target, ("a request", "one datagram echoed back"), ("sockets", settings.Connections), ("size", settings.MessageSize)),
        };
    }

    private sealed class Sockets(ScenarioSettings settings, IPEndPoint target)
    {
        private readonly EchoPattern _pattern = new(settings.MessageSize);
        private readonly int _size = settings.MessageSize;
        private UdpConnection?[] _sockets = [];
        private byte[][] _send = [];
        private byte[][] _receive = [];
        private long[] _sequences = [];

        public Task InitAsync(ScenarioContext context)
        {
            int n = context.Copies;
            _sockets = new UdpConnection?[n];
            _send = Enumerable.Range(0, n).Select(_ => new byte[_size]).ToArray();
            _receive = Enumerable.Range(0, n).Select(_ => new byte[Math.Max(_size, 2048) + 1]).ToArray();
            _sequences = new long[n];
            return Task.CompletedTask;
        }

        public Task CleanAsync(ScenarioContext context)
        {
            foreach (var s in _sockets)
            {
                s?.Dispose();
            }

            return Task.CompletedTask;
        }

        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
        public async ValueTask<StepResult> StepAsync(StepContext ctx)
        {
            int id = ctx.CopyId;
            try
            {
                var socket = _sockets[id] ??= new UdpConnection(target, settings.OperationTimeout, ctx.CancellationToken);
                long seq = _sequences[id]++;
                var datagram = _send[id];
                _pattern.Message(id, seq).Span.CopyTo(datagram);
                if (_size >= 8)
                {
                    BinaryPrimitives.WriteInt64LittleEndian(datagram, seq);
                }

                long deadline = Environment.TickCount64 + (long)settings.OperationTimeout.TotalMilliseconds;
                await socket.SendAsync(datagram).ConfigureAwait(false);
                while (true)
                {
                    var left = TimeSpan.FromMilliseconds(Math.Max(1, deadline - Environment.TickCount64));
                    int n = await socket.ReceiveAsync(_receive[id], left).ConfigureAwait(false);
                    var reply = _receive[id].AsSpan(0, n);
                    if (_size >= 8 && n >= 8 && BinaryPrimitives.ReadInt64LittleEndian(reply) < seq)
                    {
                        continue; // a late reply to an earlier datagram
                    }

                    if (reply.SequenceEqual(datagram))
                    {
                        return StepResult.Ok(_size, n);
                    }

                    Drop(id);
                    return StepResult.Fail(FailureReason.Mismatch, _size, n);
                }
            }
            catch (Exception ex) when (!ctx.CancellationToken.IsCancellationRequested)
            {
                Drop(id);
                if (ex is not TimeoutException && !ctx.Scenario.IsStopping)
                {
                    // an immediate error (e.g. port unreachable) must not turn into a busy loop
                    await Task.Delay(50, ctx.CancellationToken).ConfigureAwait(false);
                }

                return StepResult.Fail(FailureReason.Of(ex), _size, 0);
            }
        }

        private void Drop(int id)
        {
            _sockets[id]?.Dispose();
            _sockets[id] = null;
        }
    }
}
