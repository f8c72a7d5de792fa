using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using PipeChat.LoadTests.Harness;
using PipeChat.LoadTests.Sockets;

namespace PipeChat.LoadTests.Scenarios;

/// <summary>
/// Chat flood: one member (the flooder) sends lines (or <c>/nick</c> commands) as fast as the server
/// takes them, for the duration, while N members read promptly and each say one line of their own every
/// <see cref="ProbeInterval"/>. A request is one delivery of a reader's line to another reader; its
/// latency is how late that reader saw it. A reader is cut when the server closes it or any member sees
/// <c>* NAME left (too slow)</c>: docs/protocols.md wants none (built-in threshold <c>readers_cut = 0</c>).
/// Metrics: <c>readers_cut</c>, <c>flood_lines_sent</c>, <c>flood_lines_per_s</c> (what the server took
/// from the flooder), <c>flood_received_per_reader_min</c>, <c>reader_line_delay_max_ms</c>, <c>flooder_cut</c>.
/// </summary>
public static class FloodScenario
{
    /// <summary>How often each reader says a line of its own.</summary>
    public static readonly TimeSpan ProbeInterval = TimeSpan.FromMilliseconds(500);

    private const int LinesPerSend = 32;

    /// <summary>Creates the scenario.</summary>
    /// <exception cref="ArgumentException">Unknown flood kind.</exception>
    public static ScenarioDefinition Create(ScenarioSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(settings.Connections);
        if (settings.FloodKind is not ("lines" or "nick"))
        {
            throw new ArgumentException($"unknown flood kind '{settings.FloodKind}' (known: lines, nick)", nameof(settings));
        }

        var target = settings.TargetOr(ChatScenario.DefaultPort);
        var flood = new Flood(settings, target);
        return new ScenarioDefinition
        {
            Name = "flood",
            RequestNoun = "lines delivered",
            Init = flood.InitAsync,
            Step = flood.StepAsync,
            Clean = flood.CleanAsync,
            WarmUp = settings.WarmUp ?? TimeSpan.Zero,
            LoadSimulations = [LoadSimulation.KeepConstant(settings.Connections + 1, settings.Duration)],
            Thresholds = [Threshold.Parse("readers_cut = 0")],
            Settings = settings.Describe(
                target,
                ("a request", "one reader's own line delivered to another reader (latency: its delay)"),
                ("readers", settings.Connections),
                ("flood kind", settings.FloodKind),
                ("flood line size", settings.FloodKind == "lines" ? settings.MessageSize : "a /nick command"),
                ("reader lines", $"one per reader every {DurationFormat.Format(ProbeInterval)}")),
        };
    }

    private sealed class Flood(ScenarioSettings settings, IPEndPoint target) : IDisposable
    {
        private readonly ConcurrentDictionary<string, byte> _cutNames = new(StringComparer.Ordinal);
        private readonly CancellationTokenSource _stopReceiving = new();
        private readonly StatsCollector _flooderStats = new();
        private readonly byte[] _batch = new byte[LinesPerSend * (Math.Max(settings.MessageSize, 16) + 32)];
        private readonly long[] _probeSeq = new long[settings.Connections];
        private ChatMember[] _readers = [];
        private ChatMember? _flooder;
        private Task[] _receivers = [];
        private long _sent;
        private long _firstSendTs;
        private bool _flooderBroken;

        public async Task InitAsync(ScenarioContext context)
        {
            int readers = settings.Connections;
            var members = new ChatMember?[readers + 1];
            var failures = await Connector.ConnectManyAsync(
                members.Length,
                settings.MaxPendingConnects,
                async (i, _) =>
                {
                    // the flooder may wait long in a send: the server is allowed to stop reading it
                    var timeout = i == readers ? TimeSpan.FromTicks(Math.Max(settings.OperationTimeout.Ticks, TimeSpan.FromSeconds(30).Ticks)) : settings.OperationTimeout;
                    var conn = await TcpConnection.ConnectAsync(target, settings.ConnectTimeout, timeout, context.CancellationToken).ConfigureAwait(false);
                    var member = new ChatMember(i, conn, readers) { TooSlowNotice = name => _cutNames.TryAdd(name, 0) };
                    members[i] = member;
                    if (settings.ExpectWelcome)
                    {
                        await member.ReadWelcomeAsync().ConfigureAwait(false);
                    }
                },
                context.CancellationToken).ConfigureAwait(false);
            if (failures.Count > 0)
            {
                foreach (var m in members)
                {
                    m?.Dispose();
                }

                throw new InvalidOperationException($"{failures.Count} of {members.Length} chat members could not join {target}: {failures[0].Message}");
            }

            _readers = members[..readers]!;
            _flooder = members[readers]!;
            var token = CancellationTokenSource.CreateLinkedTokenSource(_stopReceiving.Token, context.CancellationToken).Token;
            _receivers = _readers.Select(m => Task.Run(() => m.ReceiveLoopAsync(context.Stats, token), CancellationToken.None))
                .Append(Task.Run(() => _flooder.ReceiveLoopAsync(_flooderStats, token), CancellationToken.None))
                .ToArray();
        }

        public ValueTask<StepResult> StepAsync(StepContext ctx) =>
            ctx.CopyId == 0 ? FloodAsync(ctx) : ProbeAsync(ctx, ctx.CopyId - 1);

        public async Task CleanAsync(ScenarioContext context)
        {
            // let the readers' last lines arrive
            await Task.Delay(ProbeInterval, CancellationToken.None).ConfigureAwait(false);
            await _stopReceiving.CancelAsync().ConfigureAwait(false);
            try
            {
                await Task.WhenAll(_receivers).WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                context.Log.WriteLine("[flood] some receive loops did not stop in time");
            }

            var cut = _readers.Where(r => r.Closed || (r.Name is { } name && _cutNames.ContainsKey(name))).ToArray();
            var kept = _readers.Except(cut).ToArray();
            // Over the whole flood, not up to the last write: a held-back flooder's writes stop early
            // (its socket is full), which would make a handful of lines look like millions per second.
            double seconds = _firstSendTs > 0 ? Stopwatch.GetElapsedTime(_firstSendTs).TotalSeconds : 0;
            long maxDelay = _readers.Length == 0 ? 0 : _readers.Max(r => r.MaxLatencyTicks);
            context.Metrics["readers"] = _readers.Length;
            context.Metrics["readers_cut"] = cut.Length;
            context.Metrics["flooder_cut"] = _flooderBroken || _flooder!.Closed ? 1 : 0;
            context.Metrics["flood_lines_sent"] = _sent;
            context.Metrics["flood_lines_per_s"] = seconds > 0 ? _sent / seconds : 0;
            context.Metrics["flood_received_per_reader_min"] = kept.Length == 0 ? 0 : kept.Min(Received);
            context.Metrics["reader_lines_sent"] = _probeSeq.Sum();
            context.Metrics["reader_line_delay_max_ms"] = maxDelay * 1000.0 / Stopwatch.Frequency;
            foreach (var m in _readers.Append(_flooder!))
            {
                m.Dispose();
            }

            Dispose();
        }

        private long Received(ChatMember m) => settings.FloodKind == "nick" ? m.Notices : m.OtherLines;

        private async ValueTask<StepResult> FloodAsync(StepContext ctx)
        {
            if (_flooderBroken)
            {
                await ctx.Scenario.Stopping.WaitAsync(ctx.CancellationToken).ConfigureAwait(false);
                return StepResult.Handled;
            }

            int length = FillBatch(_sent);
            long start = Stopwatch.GetTimestamp();
            Interlocked.CompareExchange(ref _firstSendTs, start, 0);
            try
            {
                await _flooder!.Connection.SendAsync(_batch.AsMemory(0, length)).ConfigureAwait(false);
                _sent += LinesPerSend;
                ctx.Scenario.Stats.AddBytes(length, 0);
            }
            catch (Exception ex) when (!ctx.CancellationToken.IsCancellationRequested)
            {
                _flooderBroken = true;
                ctx.Scenario.Log.WriteLine($"[flood] the flooder stopped: {FailureReason.Of(ex)}");
            }

            return StepResult.Handled;
        }

        private async ValueTask<StepResult> ProbeAsync(StepContext ctx, int reader)
        {
            var member = _readers[reader];
            long seq = _probeSeq[reader];
            if (seq == 0)
            {
                // spread the readers' lines over the interval
                await Task.Delay(ProbeInterval * reader / _readers.Length, ctx.CancellationToken).ConfigureAwait(false);
            }

            if (!member.Closed && !ctx.Scenario.IsStopping)
            {
                var line = new byte[64];
                int n = FormatProbe(line, reader, seq, Stopwatch.GetTimestamp());
                try
                {
                    await member.Connection.SendAsync(line.AsMemory(0, n)).ConfigureAwait(false);
                    _probeSeq[reader] = seq + 1;
                    ctx.Scenario.Stats.AddBytes(n, 0);
                }
                catch (Exception ex) when (!ctx.CancellationToken.IsCancellationRequested && ex is not OperationCanceledException)
                {
                    // a reader the server closed: counted as cut at the end
                }
            }

            await Task.WhenAny(Task.Delay(ProbeInterval, ctx.CancellationToken), ctx.Scenario.Stopping).ConfigureAwait(false);
            return StepResult.Handled;
        }

        // LinesPerSend flood lines ("FL seq xxx..." padded to the line size, or "/nick flSEQ") into _batch.
        private int FillBatch(long seq)
        {
            var span = _batch.AsSpan();
            int n = 0;
            for (int i = 0; i < LinesPerSend; i++)
            {
                int lineStart = n;
                var prefix = settings.FloodKind == "nick" ? "/nick fl"u8 : "FL "u8;
                prefix.CopyTo(span[n..]);
                n += prefix.Length;
                Utf8Formatter.TryFormat(seq + i, span[n..], out int w);
                n += w;
                if (settings.FloodKind == "lines")
                {
                    int pad = Math.Max(0, settings.MessageSize - 1 - (n - lineStart));
                    span.Slice(n, pad).Fill((byte)'x');
                    n += pad;
                }

                span[n++] = (byte)'\n';
            }

            return n;
        }

        private static int FormatProbe(byte[] line, int reader, long seq, long timestamp)
        {
            var span = line.AsSpan();
            "LG "u8.CopyTo(span);
            int n = 3;
            Utf8Formatter.TryFormat(reader, span[n..], out int w);
            n += w;
            span[n++] = (byte)' ';
            Utf8Formatter.TryFormat(seq, span[n..], out w);
            n += w;
            span[n++] = (byte)' ';
            Utf8Formatter.TryFormat(timestamp, span[n..], out w);
            n += w;
            span[n++] = (byte)'\n';
            return n;
        }

        public void Dispose() => _stopReceiving.Dispose();
    }
}
