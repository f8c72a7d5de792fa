using System.Buffers.Text;
using System.Diagnostics;
using System.Net;
using PipeChat.LoadTests.Harness;
using PipeChat.LoadTests.Sockets;

namespace PipeChat.LoadTests.Scenarios;

/// <summary>
/// Chat fan-out: M members connect (each first gets <c>* welcome NAME</c>), the first P of them
/// also publish lines <c>LG pub seq timestamp</c> at a fixed rate each (open model). A request is
/// one delivery of a line to one member; latency runs from when the line was due to when the member
/// parsed it. After the run, lines never delivered count as failures (<c>lost</c>), as do lines
/// that arrive out of order. Optionally one extra member connects and never reads. With a window
/// (closed model), each publisher sends as fast as possible while at most that many of its lines
/// are unread by the last member on each node.
/// </summary>
public static class ChatScenario
{
    /// <summary>The default chat port.</summary>
    public const int DefaultPort = 7000;

    /// <summary>The default lines per second per publisher.</summary>
    public const int DefaultRate = 100;

    /// <summary>Creates the scenario.</summary>
    public static ScenarioDefinition Create(ScenarioSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(settings.Connections);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(settings.Publishers);
        var target = settings.Targets is { Length: > 0 } targets ? targets[0] : settings.TargetOr(DefaultPort);
        int publishers = Math.Min(settings.Publishers, settings.Connections);
        int rate = settings.Rate > 0 ? settings.Rate : DefaultRate;
        var room = new Room(settings, settings.Targets is { Length: > 0 } spread ? spread : [target], publishers);
        var phases = new List<LoadSimulation>();
        if (settings.Window > 0)
        {
            phases.Add(LoadSimulation.KeepConstant(publishers, settings.Duration));
        }
        else
        {
            if (settings.Ramp > TimeSpan.Zero)
            {
                phases.Add(LoadSimulation.RampingInject(rate * publishers, TimeSpan.FromSeconds(1), settings.Ramp));
            }

            phases.Add(LoadSimulation.Inject(rate * publishers, TimeSpan.FromSeconds(1), settings.Duration));
        }

        return new ScenarioDefinition
        {
            Name = "chat",
            RequestNoun = "lines delivered",
            Init = room.InitAsync,
            Step = room.PublishAsync,
            Clean = room.CleanAsync,
            WarmUp = settings.WarmUp ?? TimeSpan.FromSeconds(1),
            InjectConcurrency = publishers,
            LoadSimulations = phases,
            Settings = settings.Describe(
                target,
                ("members", settings.Connections),
                ("nodes", settings.Targets is { Length: > 1 } nodes ? string.Join(", ", nodes.Select(n => n.ToString())) + " (members round robin; publishers from the first)" : "1"),
                ("publishers", publishers),
                ("lines/s per publisher", settings.Window > 0 ? $"as fast as possible, at most {settings.Window} unread on every node" : rate.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                ("line size", settings.MessageSize),
                ("a request", "one line delivered to one member (latency: from when it was due to when the member read it)"),
                ("stalled member", settings.StalledMember ? "yes: 1 extra member connects and never reads" : "none")),
        };
    }

    private sealed class Room(ScenarioSettings settings, IPEndPoint[] targets, int publishers) : IDisposable
    {
        private readonly long[] _published = new long[publishers];
        private readonly bool[] _broken = new bool[publishers];
        private readonly byte[][] _lines = Enumerable.Range(0, publishers).Select(_ => new byte[Math.Max(settings.MessageSize, 64) + 2]).ToArray();
        private readonly CancellationTokenSource _stopReceiving = new();
        private ChatMember[] _members = [];

        // With a window: the last member on each node, whose reading paces the publishers.
        private ChatMember[] _pacers = [];
        private Task[] _receivers = [];
        private TcpConnection? _stalled;
        private CancellationTokenSource? _receiveToken;

        public async Task InitAsync(ScenarioContext context)
        {
            var members = new ChatMember?[settings.Connections];
            var failures = await Connector.ConnectManyAsync(
                members.Length,
                settings.MaxPendingConnects,
                async (i, _) =>
                {
                    var conn = await TcpConnection.ConnectAsync(targets[i % targets.Length], settings.ConnectTimeout, settings.OperationTimeout, context.CancellationToken, tls: settings.Tls).ConfigureAwait(false);
                    var member = new ChatMember(i, conn, publishers);
                    members[i] = member;
                    if (settings.ExpectWelcome)
                    {
                        await member.ReadWelcomeAsync().ConfigureAwait(false);
                    }
                },
                context.CancellationToken).ConfigureAwait(false);
            _members = members.Where(m => m is not null).ToArray()!;
            _pacers = Enumerable.Range(0, targets.Length)
                .Select(t => _members.LastOrDefault(m => m.Index % targets.Length == t && m.Index >= publishers))
                .OfType<ChatMember>().ToArray();
            context.Stats.TrackConnections(members.Length);
            if (failures.Count > 0)
            {
                throw new InvalidOperationException(
                    $"{failures.Count} of {members.Length} chat members could not join {string.Join(", ", targets.Select(t => t.ToString()))}: {failures[0].Message}");
            }

            if (settings.StalledMember)
            {
                _stalled = await TcpConnection.ConnectAsync(targets[0], settings.ConnectTimeout, settings.OperationTimeout, context.CancellationToken, tls: settings.Tls).ConfigureAwait(false);
            }

            _receiveToken = CancellationTokenSource.CreateLinkedTokenSource(_stopReceiving.Token, context.CancellationToken);
            var token = _receiveToken.Token;
            _receivers = _members.Select(m => Task.Run(() => m.ReceiveLoopAsync(context.Stats, token), CancellationToken.None)).ToArray();
        }

        public async ValueTask<StepResult> PublishAsync(StepContext ctx)
        {
            int pub = ctx.CopyId;
            if (_broken[pub])
            {
                return StepResult.Handled;
            }

            if (settings.Window > 0 && !await WithinWindowAsync(pub, ctx).ConfigureAwait(false))
            {
                return StepResult.Handled;
            }

            long now = Stopwatch.GetTimestamp();
            long sentAt = ctx.ScheduledTimestamp > 0 ? Math.Min(ctx.ScheduledTimestamp, now) : now;
            int length = FormatLine(_lines[pub], pub, _published[pub], sentAt);
            try
            {
                await _members[pub].Connection.SendAsync(_lines[pub].AsMemory(0, length)).ConfigureAwait(false);
                _published[pub]++;
                ctx.Scenario.Stats.AddBytes(length, 0);
            }
            catch (Exception ex) when (!ctx.CancellationToken.IsCancellationRequested)
            {
                _broken[pub] = true;
                ctx.Scenario.Stats.RecordFail("publish: " + FailureReason.Of(ex));
            }

            return StepResult.Handled;
        }

        public async Task CleanAsync(ScenarioContext context)
        {
            long expected = 0;
            for (int m = 0; m < _members.Length; m++)
            {
                for (int p = 0; p < publishers; p++)
                {
                    expected += _members[m].Index == p ? 0 : _published[p];
                }
            }

            // drain: wait for deliveries in flight, until all arrived or nothing moves for a second
            var deadline = Stopwatch.GetTimestamp() + (10 * Stopwatch.Frequency);
            long delivered = Delivered(), lastProgress = Stopwatch.GetTimestamp();
            while (delivered < expected && _members.Length > 0 && Stopwatch.GetTimestamp() < deadline &&
                   Stopwatch.GetElapsedTime(lastProgress) < TimeSpan.FromSeconds(1))
            {
                await Task.Delay(50, CancellationToken.None).ConfigureAwait(false);
                long now = Delivered();
                if (now != delivered)
                {
                    delivered = now;
                    lastProgress = Stopwatch.GetTimestamp();
                }
            }

            await _stopReceiving.CancelAsync().ConfigureAwait(false);
            try
            {
                await Task.WhenAll(_receivers).WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                context.Log.WriteLine("[chat] some receive loops did not stop in time");
            }

            delivered = Delivered();
            long lost = Math.Max(0, expected - delivered);
            context.Stats.RecordFail("lost", lost);
            context.Metrics["members"] = _members.Length;
            context.Metrics["publishers"] = publishers;
            context.Metrics["published"] = _published.Sum();
            context.Metrics["expected_deliveries"] = expected;
            context.Metrics["delivered"] = delivered;
            context.Metrics["lost"] = lost;
            context.Metrics["out_of_order"] = _members.Sum(m => m.OutOfOrder);
            context.Metrics["error_lines"] = _members.Sum(m => m.ErrorLines);
            context.Metrics["members_closed_by_server"] = _members.Count(m => m.Closed);
            if (_stalled is not null)
            {
                context.Metrics["stalled_member"] = 1;
                _stalled.Dispose();
            }

            foreach (var m in _members)
            {
                m.Dispose();
            }

            Dispose();
        }

        public void Dispose()
        {
            _receiveToken?.Dispose();
            _stopReceiving.Dispose();
        }

        // Waits until every pacer has read all but Window - 1 of this publisher's lines.
        private async Task<bool> WithinWindowAsync(int pub, StepContext ctx)
        {
            foreach (var pacer in _pacers)
            {
                while (_published[pub] - pacer.ReceivedFrom(pub) >= settings.Window)
                {
                    var next = pacer.NextDeliveryAsync();
                    if (_published[pub] - pacer.ReceivedFrom(pub) < settings.Window)
                    {
                        break;
                    }

                    try
                    {
                        await next.WaitAsync(settings.OperationTimeout, ctx.CancellationToken).ConfigureAwait(false);
                    }
                    catch (TimeoutException)
                    {
                        _broken[pub] = true;
                        ctx.Scenario.Stats.RecordFail("publish: window not read within the timeout");
                        return false;
                    }
                    catch (OperationCanceledException)
                    {
                        return false;
                    }
                }
            }

            return true;
        }

        private long Delivered()
        {
            long sum = 0;
            foreach (var m in _members)
            {
                for (int p = 0; p < publishers; p++)
                {
                    sum += m.ReceivedFrom(p);
                }
            }

            return sum;
        }

        // Writes "LG <pub> <seq> <timestamp>[ xxx...]\n" padded to the configured size.
        private int FormatLine(byte[] line, int pub, long seq, long timestamp)
        {
            var span = line.AsSpan();
            "LG "u8.CopyTo(span);
            int n = 3;
            Utf8Formatter.TryFormat(pub, span[n..], out int w);
            n += w;
            span[n++] = (byte)' ';
            Utf8Formatter.TryFormat(seq, span[n..], out w);
            n += w;
            span[n++] = (byte)' ';
            Utf8Formatter.TryFormat(timestamp, span[n..], out w);
            n += w;
            if (n + 1 < settings.MessageSize)
            {
                span[n++] = (byte)' ';
                int pad = settings.MessageSize - 1 - n;
                span.Slice(n, pad).Fill((byte)'x');
                n += pad;
            }

            span[n++] = (byte)'\n';
            return n;
        }
    }
}
