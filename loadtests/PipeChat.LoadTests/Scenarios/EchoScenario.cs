using System.Diagnostics;
using System.Net;
using System.Runtime.CompilerServices;
using PipeChat.LoadTests.Harness;
using PipeChat.LoadTests.Sockets;

namespace PipeChat.LoadTests.Scenarios;

/// <summary>
/// TCP echo ping-pong (closed model): N connections, each keeping <c>depth</c> messages of
/// <c>size</c> bytes in flight. Every echoed byte is checked; a mismatch fails the message and
/// the connection is replaced. Latency runs from a message's send to its last echoed byte.
/// </summary>
public static class EchoScenario
{
    /// <summary>The default echo port.</summary>
    public const int DefaultPort = 7007;

    /// <summary>Creates the scenario.</summary>
    public static ScenarioDefinition Create(ScenarioSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(settings.Connections);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(settings.PipelineDepth);
        EndPoint target = settings.UnixTarget is { } path ? new System.Net.Sockets.UnixDomainSocketEndPoint(path) : settings.TargetOr(DefaultPort);
        var state = new EchoClients(settings, target);
        var phases = new List<LoadSimulation>();
        if (settings.Ramp > TimeSpan.Zero)
        {
            phases.Add(LoadSimulation.RampingConstant(settings.Connections, settings.Ramp));
        }

        phases.Add(LoadSimulation.KeepConstant(settings.Connections, settings.Duration));
        return new ScenarioDefinition
        {
            Name = "echo",
            Init = state.InitAsync,
            Step = state.StepAsync,
            Clean = state.CleanAsync,
            WarmUp = settings.WarmUp ?? TimeSpan.FromSeconds(2),
            LoadSimulations = phases,
            Settings = settings.Describe(target, ("a request", "one message echoed back in full (latency: send to last byte back)"), ("connections", settings.Connections), ("size", settings.MessageSize), ("depth", settings.PipelineDepth)),
        };
    }

    private sealed class EchoClients(ScenarioSettings settings, EndPoint target)
    {
        private readonly EchoPattern _pattern = new(settings.MessageSize);
        private readonly int _size = settings.MessageSize;
        private readonly int _depth = settings.PipelineDepth;
        private Client[] _clients = [];

        public async Task InitAsync(ScenarioContext context)
        {
            _clients = new Client[context.Copies];
            context.Stats.TrackConnections(_clients.Length);
            for (int i = 0; i < _clients.Length; i++)
            {
                _clients[i] = new Client(i, _size, _depth);
            }

            var failures = await Connector.ConnectManyAsync(
                _clients.Length,
                settings.MaxPendingConnects,
                async (i, ct) => _clients[i].Connection = await TcpConnection.ConnectAsync(target, settings.ConnectTimeout, settings.OperationTimeout, context.CancellationToken, tls: settings.Tls).ConfigureAwait(false),
                context.CancellationToken).ConfigureAwait(false);
            context.Metrics["init_connect_failures"] = failures.Count;
            if (failures.Count == _clients.Length && failures.Count > 0)
            {
                throw new InvalidOperationException($"cannot connect to {target}: {failures[0].Message}");
            }
        }

        public Task CleanAsync(ScenarioContext context)
        {
            foreach (var c in _clients)
            {
                c.Drop();
            }

            return Task.CompletedTask;
        }

        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
        public async ValueTask<StepResult> StepAsync(StepContext ctx)
        {
            var client = _clients[ctx.CopyId];
            var stats = ctx.Scenario.Stats;
            if (client.Connection is not { } conn)
            {
                try
                {
                    client.Connection = await TcpConnection.ConnectAsync(target, settings.ConnectTimeout, settings.OperationTimeout, ctx.CancellationToken, tls: settings.Tls).ConfigureAwait(false);
                    return StepResult.Handled;
                }
                catch (Exception ex) when (!ctx.CancellationToken.IsCancellationRequested)
                {
                    stats.RecordFail(FailureReason.Of(ex));
                    await BackOffAsync(ctx).ConfigureAwait(false);
                    return StepResult.Handled;
                }
            }

            try
            {
                int toSend = _depth - (int)(client.SendSeq - client.RecvSeq);
                if (toSend > 0)
                {
                    long now = Stopwatch.GetTimestamp();
                    for (int j = 0; j < toSend; j++)
                    {
                        long seq = client.SendSeq + j;
                        _pattern.Message(client.Id, seq).Span.CopyTo(client.SendBuffer.AsSpan(j * _size));
                        client.SentAt[seq % _depth] = now;
                    }

                    client.SendSeq += toSend;
                    await conn.SendAsync(client.SendBuffer.AsMemory(0, toSend * _size)).ConfigureAwait(false);
                    stats.AddBytes(toSend * _size, 0);
                }

                int n = await conn.ReceiveAsync(client.ReceiveBuffer).ConfigureAwait(false);
                if (n == 0)
                {
                    throw new EndOfStreamException();
                }

                stats.AddBytes(0, n);
                if (!Consume(client, client.ReceiveBuffer.AsSpan(0, n), stats))
                {
                    stats.RecordFail(FailureReason.Mismatch, Math.Max(1, client.SendSeq - client.RecvSeq));
                    client.Drop();
                }
            }
            catch (Exception ex) when (!ctx.CancellationToken.IsCancellationRequested)
            {
                stats.RecordFail(FailureReason.Of(ex), Math.Max(1, client.SendSeq - client.RecvSeq));
                client.Drop();
            }

            return StepResult.Handled;
        }

        private static Task BackOffAsync(StepContext ctx) =>
            ctx.Scenario.IsStopping ? Task.CompletedTask : Task.Delay(100, ctx.CancellationToken);

        // Checks received bytes against the messages in flight; records each completed message.
        private bool Consume(Client client, ReadOnlySpan<byte> data, StatsCollector stats)
        {
            while (!data.IsEmpty)
            {
                if (client.RecvSeq >= client.SendSeq)
                {
                    return false; // more bytes than were sent
                }

                int take = Math.Min(data.Length, _size - client.RecvPos);
                if (!_pattern.Matches(client.Id, client.RecvSeq, client.RecvPos, data[..take]))
                {
                    return false;
                }

                data = data[take..];
                client.RecvPos += take;
                if (client.RecvPos == _size)
                {
                    stats.RecordOk(client.Id, Stopwatch.GetTimestamp() - client.SentAt[client.RecvSeq % _depth]);
                    client.RecvSeq++;
                    client.RecvPos = 0;
                }
            }

            return true;
        }
    }

    private sealed class Client(int id, int size, int depth)
    {
        public int Id { get; } = id;

        public byte[] SendBuffer { get; } = new byte[size * depth];

        public byte[] ReceiveBuffer { get; } = new byte[Math.Clamp(size * depth, 16, 256 * 1024)];

        public long[] SentAt { get; } = new long[depth];

        public TcpConnection? Connection { get; set; }

        public long SendSeq { get; set; }

        public long RecvSeq { get; set; }

        public int RecvPos { get; set; }

        public void Drop()
        {
            Connection?.Dispose();
            Connection = null;
            SendSeq = RecvSeq = 0;
            RecvPos = 0;
        }
    }
}
