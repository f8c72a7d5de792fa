using System.Net;
using PipeChat.LoadTests.Harness;
using PipeChat.LoadTests.Sockets;

namespace PipeChat.LoadTests.Scenarios;

/// <summary>
/// Slowloris: N connections each send one byte of a line that never ends every
/// <c>--trickle-interval</c>, and reconnect when the server closes them (as an attacker would).
/// Meanwhile a legitimate client visits <c>--rate</c> times a second (echo: one 16-byte echo; chat:
/// welcome, <c>/quit</c>, <c>* bye</c>). A request is one legitimate visit, so the success rate and
/// latency are the legitimate client's. Metrics: <c>legit_success_pct</c>, <c>held_connected</c> (held
/// connections open when the load started), <c>held_closed_by_server</c>, <c>held_reconnects</c>, <c>held_bytes_trickled</c>.
/// </summary>
public static class SlowlorisScenario
{
    /// <summary>The default legitimate visits per second.</summary>
    public const int DefaultRate = 5;

    /// <summary>Creates the scenario.</summary>
    public static ScenarioDefinition Create(ScenarioSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(settings.Connections);
        bool chat = settings.IsChat();
        var target = settings.TargetOr(chat ? ChatScenario.DefaultPort : EchoScenario.DefaultPort);
        int rate = settings.Rate > 0 ? settings.Rate : DefaultRate;
        var attack = new Attack(settings, target, chat);
        return new ScenarioDefinition
        {
            Name = "slowloris",
            RequestNoun = "visits",
            Init = attack.InitAsync,
            Step = attack.VisitAsync,
            Clean = attack.CleanAsync,
            WarmUp = settings.WarmUp ?? TimeSpan.Zero,
            InjectConcurrency = 8,
            LoadSimulations = [LoadSimulation.Inject(rate, TimeSpan.FromSeconds(1), settings.Duration)],
            Settings = settings.Describe(
                target,
                ("a request", "one visit of the legitimate client"),
                ("protocol", chat ? "chat" : "echo"),
                ("held connections", settings.Connections),
                ("trickle", $"1 byte every {DurationFormat.Format(settings.TrickleInterval)}"),
                ("legitimate visits/s", rate)),
        };
    }

    private sealed class Attack(ScenarioSettings settings, IPEndPoint target, bool chat) : IDisposable
    {
        private static readonly ReadOnlyMemory<byte> Byte = "x"u8.ToArray();
        private readonly CancellationTokenSource _stop = new();
        private TcpConnection?[] _held = [];
        private Task[] _tricklers = [];
        private long _closedByServer;
        private long _reconnects;
        private long _trickled;

        public async Task InitAsync(ScenarioContext context)
        {
            _held = new TcpConnection?[settings.Connections];

            // the held connections first, so the legitimate client meets a server whose slots are taken
            await Connector.ConnectManyAsync(
                _held.Length,
                settings.MaxPendingConnects,
                async (i, ct) => _held[i] = await ConnectAsync(ct).ConfigureAwait(false),
                context.CancellationToken).ConfigureAwait(false);
            context.Metrics["held_connected"] = _held.Count(c => c is not null);
            var token = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token, context.CancellationToken).Token;
            _tricklers = Enumerable.Range(0, _held.Length).Select(i => Task.Run(() => TrickleAsync(i, token), CancellationToken.None)).ToArray();
        }

        public async ValueTask<StepResult> VisitAsync(StepContext ctx)
        {
            var r = await ClientCycle.RunAsync(target, chat, 0, settings, ctx.CopyId, ctx.CancellationToken).ConfigureAwait(false);
            return StepResult.Ok(r.BytesOut, r.BytesIn);
        }

        public async Task CleanAsync(ScenarioContext context)
        {
            await _stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await Task.WhenAll(_tricklers).WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                context.Log.WriteLine("[slowloris] some held connections did not stop in time");
            }

            foreach (var c in _held)
            {
                c?.Dispose();
            }

            long ok = context.Stats.Ok, failed = context.Stats.Failed;
            context.Metrics["legit_success_pct"] = ok + failed > 0 ? 100.0 * ok / (ok + failed) : 0;
            context.Metrics["held_closed_by_server"] = Interlocked.Read(ref _closedByServer);
            context.Metrics["held_reconnects"] = Interlocked.Read(ref _reconnects);
            context.Metrics["held_bytes_trickled"] = Interlocked.Read(ref _trickled);
            Dispose();
        }

        private async Task<TcpConnection?> ConnectAsync(CancellationToken ct)
        {
            try
            {
                // a long operation timeout: the server may leave the trickled line unread
                return await TcpConnection.ConnectAsync(target, settings.ConnectTimeout, TimeSpan.FromMinutes(10), ct, settings.HeldFrom).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is System.Net.Sockets.SocketException or TimeoutException)
            {
                return null;
            }
        }

        // Sends one byte per interval; when the server closes the connection, opens another.
        private async Task TrickleAsync(int i, CancellationToken token)
        {
            var buffer = new byte[4096];
            try
            {
                // spread the held connections' bytes over the interval
                await Task.Delay(settings.TrickleInterval * i / _held.Length, token).ConfigureAwait(false);
                while (!token.IsCancellationRequested)
                {
                    if (_held[i] is not { } conn)
                    {
                        Interlocked.Increment(ref _reconnects);
                        _held[i] = await ConnectAsync(token).ConfigureAwait(false);
                        await Task.Delay(settings.TrickleInterval, token).ConfigureAwait(false);
                        continue;
                    }

                    if (conn.Socket.Poll(0, System.Net.Sockets.SelectMode.SelectRead) && !await DrainAsync(conn, buffer).ConfigureAwait(false))
                    {
                        Interlocked.Increment(ref _closedByServer);
                        conn.Dispose();
                        _held[i] = null;
                        continue;
                    }

                    try
                    {
                        await conn.SendAsync(Byte).ConfigureAwait(false);
                        Interlocked.Increment(ref _trickled);
                    }
                    catch (Exception ex) when (ex is System.Net.Sockets.SocketException or ObjectDisposedException or TimeoutException)
                    {
                        Interlocked.Increment(ref _closedByServer);
                        conn.Dispose();
                        _held[i] = null;
                        continue;
                    }

                    await Task.Delay(settings.TrickleInterval, token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                // the run is over
            }
        }

        // Reads what the server sent (its welcome, notices, echoes, a closing '!' line); false when it closed.
        private static async Task<bool> DrainAsync(TcpConnection conn, byte[] buffer)
        {
            try
            {
                return await conn.ReceiveAsync(buffer).ConfigureAwait(false) > 0;
            }
            catch (Exception ex) when (ex is System.Net.Sockets.SocketException or ObjectDisposedException or TimeoutException)
            {
                return false;
            }
        }

        public void Dispose() => _stop.Dispose();
    }
}
