using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Globalization;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;
using PipeChat.Diagnostics;
using PipeChat.Protocols;
using PipeChat.Protocols.Chat;

namespace PipeChat.Cluster;

/// <summary>
/// Joins a <see cref="ChatHub"/> to the other nodes of its cluster over a NATS server (docs/cluster.md).
/// Every frame this node sends goes to one subject, from one publisher loop, so the other nodes see them in
/// this node's order (NATS keeps one publisher's order per subscriber); lines are encoded once per node.
/// Names are claimed in a JetStream key-value bucket (create = atomic claim, value = the owning node).
/// Presence is a snapshot every heartbeat, plus the membership events as they happen.
/// </summary>
internal sealed class NatsChatBridge : IChatBridge, IAsyncDisposable
{
    private static readonly INatsSerializer<ReadOnlyMemory<byte>> RawOut = NatsRawSerializer<ReadOnlyMemory<byte>>.Default;
    private static readonly INatsSerializer<byte[]> RawBytes = NatsRawSerializer<byte[]>.Default;
    private static readonly INatsSerializer<NatsMemoryOwner<byte>> RawPooled = NatsRawSerializer<NatsMemoryOwner<byte>>.Default;

    // Frames taken in one batch before the woken members are sent what arrived (see ReceiveLoopAsync).
    private const int ReceiveBatch = 256;

    private readonly ChatHub _hub;
    private readonly ClusterSettings _settings;
    private readonly ILogger _logger;
    private readonly ulong _node = (ulong)Random.Shared.NextInt64(1, long.MaxValue);
    private readonly byte[] _nodeValue = new byte[8];
    private readonly NatsConnection _nats;
    private readonly Channel<ClusterFrame.Encoded> _out;
    private readonly Channel<(string Name, ChatMember? Member, byte[]? Bytes)> _claims;
    private readonly ConcurrentQueue<string> _pool = new();
    private readonly ConcurrentDictionary<IChatMemberSink, long> _nameWaiters = new(ReferenceEqualityComparer.Instance);
    private readonly ConcurrentDictionary<ulong, long> _lastHeard = new();
    private readonly Dictionary<ulong, ulong> _lastSequence = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly LogLimiter _dropLog;
    private readonly LogLimiter _gapLog;
    private readonly LogLimiter _malformedLog;
    private readonly LogLimiter _localNameLog;
    private INatsKVStore? _kv;
    private INatsSub<NatsMemoryOwner<byte>>? _subscription;
    private Task _loops = Task.CompletedTask;
    private Task _outbound = Task.CompletedTask;
    private ulong _sequence;
    private long _nextUserNumber;
    private int _refilling;
    private int _linkState = 1;
    private bool _stopping;

    private NatsChatBridge(ChatHub hub, ClusterSettings settings, ILogger logger)
    {
        _hub = hub;
        _settings = settings;
        _logger = logger;
        BinaryPrimitives.WriteUInt64LittleEndian(_nodeValue, _node);
        _dropLog = new LogLimiter(settings.Time);
        _gapLog = new LogLimiter(settings.Time);
        _malformedLog = new LogLimiter(settings.Time);
        _localNameLog = new LogLimiter(settings.Time);
        _out = Channel.CreateBounded<ClusterFrame.Encoded>(new BoundedChannelOptions(settings.OutboundCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        _claims = Channel.CreateUnbounded<(string, ChatMember?, byte[]?)>(new UnboundedChannelOptions { SingleReader = true });
        _nats = new NatsConnection(NatsOpts.Default with
        {
            Url = settings.Url,
            Name = $"pipechat-{settings.Name}-{NodeName}",
            Echo = false,
            ConnectTimeout = settings.ConnectTimeout,
            ReconnectWaitMin = TimeSpan.FromMilliseconds(250),
            ReconnectWaitMax = TimeSpan.FromSeconds(1),
            ReconnectJitter = TimeSpan.FromMilliseconds(100),
            MaxReconnectRetry = -1,
            SubPendingChannelCapacity = 65_536,
            SubPendingChannelFullMode = BoundedChannelFullMode.DropNewest,
            SuppressSlowConsumerWarnings = true,
        });
    }

    /// <summary>This node's id in the cluster (random per start), as logged.</summary>
    public string NodeName => _node.ToString("x16", CultureInfo.InvariantCulture);

    public ClusterStats Stats { get; } = new();

    public bool IsLinked => Stats.Linked;

    /// <summary>
    /// Connects to the NATS server, opens the names bucket, subscribes, claims the first names and attaches
    /// to <paramref name="hub"/> (which must have no members yet).
    /// </summary>
    /// <exception cref="ClusterUnreachableException">The server cannot be reached, or it has no JetStream.</exception>
    public static async Task<NatsChatBridge> StartAsync(ChatHub hub, ClusterSettings settings, ILogger logger)
    {
        if (!ClusterSettings.IsValidName(settings.Name))
        {
            throw new ArgumentException("cluster name: letters, digits, '-' and '_' only", nameof(settings));
        }

        var bridge = new NatsChatBridge(hub, settings, logger);
        try
        {
            await bridge.ConnectAsync().ConfigureAwait(false);
        }
        catch
        {
            await bridge._nats.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        hub.AttachBridge(bridge);
        bridge._outbound = Task.WhenAll(Task.Run(bridge.PublishLoopAsync), Task.Run(bridge.ClaimLoopAsync));
        bridge._loops = Task.WhenAll(bridge._outbound, Task.Run(bridge.ReceiveLoopAsync), Task.Run(bridge.HeartbeatLoopAsync));
        ClusterLog.Linked(logger, settings.Name, bridge.NodeName, settings.Url);
        bridge.SendSnapshot();
        bridge.SweepLater();
        return bridge;
    }

    public bool TryTakeUserName(IChatMemberSink? waiter, out string name, out bool wait)
    {
        wait = false;
        if (!IsLinked)
        {
            name = string.Empty;
            ForgetWaiter(waiter);
            return false;
        }

        if (TryTakePooled(out name))
        {
            ForgetWaiter(waiter);
            return true;
        }

        Refill();
        if (waiter is null)
        {
            return NumberedLocally();
        }

        // Registered before looking again, so a refill landing in between still wakes it.
        long now = _settings.Time.GetTimestamp();
        long since = _nameWaiters.GetOrAdd(waiter, now);
        if (_settings.Time.GetElapsedTime(since, now) >= _settings.ClaimWait)
        {
            ForgetWaiter(waiter);
            return NumberedLocally();
        }

        if (TryTakePooled(out name))
        {
            ForgetWaiter(waiter);
            return true;
        }

        wait = true;
        return false;
    }

    public void Claim(ChatMember member, string name, byte[] nameBytes) =>
        _claims.Writer.TryWrite((name, member, nameBytes));

    public void Release(string name) => _claims.Writer.TryWrite((name, null, null));

    public void Line(string room, ReadOnlySpan<byte> name, ReadOnlySpan<byte> text)
    {
        if (!IsLinked)
        {
            Dropped("cluster unavailable");
            return;
        }

        var frame = ClusterFrame.Line(_node, room, name, text);
        if (!_out.Writer.TryWrite(frame))
        {
            frame.Return();
            Dropped("queue to the NATS server full");
        }
    }

    public void Joined(string room, string name) => Send(ClusterFrame.Names(_node, ClusterFrameKind.Joined, room, name));

    public void Left(string room, string name, bool tooSlow) =>
        Send(ClusterFrame.Names(_node, tooSlow ? ClusterFrameKind.LeftTooSlow : ClusterFrameKind.Left, room, name));

    public void Renamed(string room, string oldName, string newName) =>
        Send(ClusterFrame.Names(_node, ClusterFrameKind.Renamed, room, oldName, newName));

    public void Stopping()
    {
        _stopping = true;
        Send(ClusterFrame.Bye(_node));
        WakeNameWaiters();
    }

    public async ValueTask DisposeAsync()
    {
        // Let the goodbye and the last events go out, then give the names back.
        _stopping = true;
        _out.Writer.TryComplete();
        _claims.Writer.TryComplete();
        await Task.WhenAny(_outbound, Task.Delay(TimeSpan.FromSeconds(3))).ConfigureAwait(false);
        await _stop.CancelAsync().ConfigureAwait(false);
        if (IsLinked && _kv is { } kv)
        {
            var names = new List<string>();
            while (_pool.TryDequeue(out var name))
            {
                names.Add(name);
            }

            names.AddRange(_hub.LocalNames());
            try
            {
                await Task.WhenAll(names.Select(n => ReleaseOwnAsync(kv, n, CancellationToken.None).AsTask())).WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
            }
            catch (Exception e) when (e is NatsException or TimeoutException or OperationCanceledException)
            {
                ClusterLog.OperationFailed(_logger, "releasing names at stop", e.Message);
            }
        }

        try
        {
            await _loops.WaitAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            // Loops stuck on the NATS server: the connection's disposal ends them.
        }

        await _nats.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task ConnectAsync()
    {
        try
        {
            await _nats.ConnectAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is NatsException or TimeoutException or System.Net.Sockets.SocketException or OperationCanceledException)
        {
            throw new ClusterUnreachableException($"cannot reach the cluster's NATS server at {_settings.Url}: {e.Message}", e);
        }

        try
        {
            await OpenBucketAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is NatsException or TimeoutException or OperationCanceledException)
        {
            throw new ClusterUnreachableException($"the NATS server at {_settings.Url} offers no JetStream key-value store (start it with -js): {e.Message}", e);
        }

        _subscription = await _nats.SubscribeCoreAsync(_settings.Subject, serializer: RawPooled).ConfigureAwait(false);
        Stats.Linked = true;
        _nats.ConnectionDisconnected += (_, _) =>
        {
            LinkDown();
            return default;
        };
        _nats.ConnectionOpened += (_, _) =>
        {
            _ = Task.Run(LinkUpAsync);
            return default;
        };
        await RefillAsync().ConfigureAwait(false);
    }

    private async Task OpenBucketAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var kv = new NatsKVContext(new NatsJSContext(_nats));
        _kv = await kv.CreateOrUpdateStoreAsync(new NatsKVConfig(_settings.Bucket) { History = 1 }, timeout.Token).ConfigureAwait(false);
    }

    private void LinkDown()
    {
        if (Interlocked.Exchange(ref _linkState, 0) == 0)
        {
            return;
        }

        Stats.Linked = false;
        _lastHeard.Clear();
        WakeNameWaiters();
        ClusterLog.Unavailable(_logger, _settings.Name, _settings.Url);
        if (!_stopping)
        {
            _hub.ClusterUnavailable();
        }
    }

    private async Task LinkUpAsync()
    {
        if (_stopping || Interlocked.CompareExchange(ref _linkState, 1, 0) != 0)
        {
            return;
        }

        try
        {
            // The server may have come back without its store: open (or create) the bucket again.
            await OpenBucketAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is NatsException or TimeoutException or OperationCanceledException)
        {
            ClusterLog.OperationFailed(_logger, "reopening the names bucket", e.Message);
        }

        lock (_lastSequence)
        {
            _lastSequence.Clear();
        }

        Stats.Linked = true;
        ClusterLog.Restored(_logger, _settings.Name, _settings.Url);
        _hub.ClusterRestored();
        SendSnapshot();
        await ClaimAgainAsync().ConfigureAwait(false);
        SweepLater();
    }

    /// <summary>
    /// After this node was out of sight (outage, or silent long enough to be taken for dead): claims its
    /// members' names again, keeps only the names claimed ahead that it still holds.
    /// </summary>
    private async Task ClaimAgainAsync()
    {
        foreach (var name in _hub.LocalNames())
        {
            // Claim again what was given while the link was down (or swept as ours meanwhile).
            _claims.Writer.TryWrite((name, null, _nodeValue));
        }

        // Names claimed ahead may have been freed by the other nodes meanwhile (they took this node for dead):
        // keep only those still (or again) held.
        var ahead = new List<string>();
        while (_pool.TryDequeue(out var name))
        {
            ahead.Add(name);
        }

        foreach (var name in ahead)
        {
            try
            {
                if (_kv is { } kv && await HoldsAsync(kv, name).ConfigureAwait(false))
                {
                    _pool.Enqueue(name);
                }
            }
            catch (Exception e) when (e is NatsException or OperationCanceledException or ObjectDisposedException)
            {
                ClusterLog.OperationFailed(_logger, "checking names claimed ahead", e.Message);
                break;
            }
        }

        Refill();
    }

    private void Send(ClusterFrame.Encoded frame)
    {
        if (!IsLinked || !_out.Writer.TryWrite(frame))
        {
            frame.Return();
        }
    }

    private void SendSnapshot() => _hub.PublishPresence(members => Send(ClusterFrame.Snapshot(_node, members)));

    private void Dropped(string reason)
    {
        Stats.Dropped();
        if (_dropLog.TryLog(out long suppressed))
        {
            ClusterLog.LinesDropped(_logger, 1, reason, suppressed);
        }
    }

    private async Task PublishLoopAsync()
    {
        var reader = _out.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var frame))
            {
                try
                {
                    if (!IsLinked)
                    {
                        if (frame.Kind == ClusterFrameKind.Line)
                        {
                            Dropped("cluster unavailable");
                        }

                        continue;
                    }

                    BinaryPrimitives.WriteUInt64LittleEndian(frame.Buffer.AsSpan(ClusterFrame.SequenceOffset), ++_sequence);
                    await _nats.PublishAsync(_settings.Subject, frame.Memory, serializer: RawOut, cancellationToken: _stop.Token).ConfigureAwait(false);
                    if (frame.Kind == ClusterFrameKind.Line)
                    {
                        Stats.LineOut();
                    }
                }
                catch (Exception e)
                {
                    // Whatever went wrong, the loop goes on: this frame is lost, and counted if it was a line.
                    if (frame.Kind == ClusterFrameKind.Line)
                    {
                        Dropped("publish failed");
                    }

                    if (e is not (NatsException or OperationCanceledException or ObjectDisposedException))
                    {
                        ClusterLog.OperationFailed(_logger, "publishing a frame", e.Message);
                    }
                }
                finally
                {
                    frame.Return();
                }
            }
        }
    }

    private async Task ReceiveLoopAsync()
    {
        var messages = _subscription!.Msgs;
        try
        {
            while (await messages.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
            {
                // Everything that arrived together is published into the rooms before anyone is woken, as a
                // connection's read does: woken members then send the batch in one write. Frames come in
                // pooled buffers, so taking a line in allocates nothing per frame.
                WakeBatch.Begin();
                try
                {
                    for (int i = 0; i < ReceiveBatch && messages.TryRead(out var message); i++)
                    {
                        using var data = message.Data;
                        try
                        {
                            Receive(data.Span);
                        }
                        catch (Exception e) when (e is not OperationCanceledException)
                        {
                            // One bad frame must not make the node deaf.
                            ClusterLog.OperationFailed(_logger, "handling a frame", e.Message);
                        }
                    }
                }
                finally
                {
                    WakeBatch.End();
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private void Receive(ReadOnlySpan<byte> frame)
    {
        if (!ClusterFrame.TryReadHeader(frame, out var kind, out ulong node, out ulong sequence) || node == _node)
        {
            Malformed();
            return;
        }

        if (_stopping)
        {
            return;
        }

        _lastHeard[node] = _settings.Time.GetTimestamp();
        lock (_lastSequence)
        {
            if (_lastSequence.TryGetValue(node, out ulong last) && sequence > last + 1)
            {
                long missed = (long)(sequence - last - 1);
                Stats.Gap(missed);
                if (_gapLog.TryLog(out long suppressed))
                {
                    ClusterLog.Gap(_logger, missed, node.ToString("x16", CultureInfo.InvariantCulture), suppressed);
                }
            }

            _lastSequence[node] = sequence;
        }

        int at = ClusterFrame.HeaderLength;
        switch (kind)
        {
            case ClusterFrameKind.Line:
                if (ClusterFrame.TryReadName(frame, ref at, out string room) && ClusterFrame.TryReadName(frame, ref at, out ReadOnlySpan<byte> name))
                {
                    Stats.LineIn();
                    _hub.RemoteLine(room, name, frame[at..]);
                    return;
                }

                break;
            case ClusterFrameKind.Joined or ClusterFrameKind.Left or ClusterFrameKind.LeftTooSlow:
                if (ClusterFrame.TryReadName(frame, ref at, out room) && ClusterFrame.TryReadName(frame, ref at, out string member))
                {
                    if (kind == ClusterFrameKind.Joined)
                    {
                        _hub.RemoteJoined(node, room, member);
                    }
                    else
                    {
                        _hub.RemoteLeft(node, room, member, kind == ClusterFrameKind.LeftTooSlow);
                    }

                    return;
                }

                break;
            case ClusterFrameKind.Renamed:
                if (ClusterFrame.TryReadName(frame, ref at, out room) && ClusterFrame.TryReadName(frame, ref at, out string oldName)
                    && ClusterFrame.TryReadName(frame, ref at, out string newName))
                {
                    _hub.RemoteRenamed(node, room, oldName, newName);
                    return;
                }

                break;
            case ClusterFrameKind.Snapshot:
                if (ClusterFrame.TryReadSnapshot(frame, out var members))
                {
                    _hub.RemoteSnapshot(node, members);
                    return;
                }

                break;
            case ClusterFrameKind.Bye:
                NodeGone(node, "stopped");
                return;
        }

        Malformed();
    }

    private void Malformed()
    {
        Stats.MalformedFrame();
        if (_malformedLog.TryLog(out long suppressed))
        {
            ClusterLog.Malformed(_logger, suppressed);
        }
    }

    private void NodeGone(ulong node, string how)
    {
        _lastHeard.TryRemove(node, out _);
        lock (_lastSequence)
        {
            _lastSequence.Remove(node);
        }

        int count = _hub.RemoteNodeGone(node);
        ClusterLog.NodeGone(_logger, node.ToString("x16", CultureInfo.InvariantCulture), how, count);
        if (how != "stopped")
        {
            SweepLater(TimeSpan.Zero, node);
        }
    }

    private async Task HeartbeatLoopAsync()
    {
        using var timer = new PeriodicTimer(_settings.HeartbeatInterval, _settings.Time);
        long lastSent = _settings.Time.GetTimestamp();
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                if (!IsLinked || _stopping)
                {
                    lastSent = _settings.Time.GetTimestamp();
                    continue;
                }

                long now = _settings.Time.GetTimestamp();
                if (_settings.Time.GetElapsedTime(lastSent, now) >= _settings.DeadAfter)
                {
                    // This node was silent long enough for the others to take it for dead and free its names.
                    ClusterLog.OperationFailed(_logger, "heartbeat", "this node was silent past the dead-node timeout; claiming its names again");
                    _ = Task.Run(ClaimAgainAsync);
                }

                SendSnapshot();
                lastSent = now;
                WakeNameWaiters(); // also ends the waits that have lasted ClaimWait
                foreach ((ulong node, long heard) in _lastHeard)
                {
                    if (_settings.Time.GetElapsedTime(heard, now) >= _settings.DeadAfter)
                    {
                        NodeGone(node, "silent (dead)");
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    /// <summary>Claims and releases of member names, one at a time in the order the hub asked for them.</summary>
    private async Task ClaimLoopAsync()
    {
        await foreach (var (name, member, bytes) in _claims.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            var kv = _kv;
            try
            {
                if (member is not null)
                {
                    // /nick: granted by the cluster when linked; on this node alone during an outage.
                    bool granted = !IsLinked || kv is null || (await kv.TryCreateAsync(Key(name), _nodeValue, serializer: RawBytes, cancellationToken: _stop.Token).ConfigureAwait(false)).Success;
                    _hub.CompleteRename(member, name, bytes!, granted);
                }
                else if (bytes is not null)
                {
                    // Re-claim after an outage; a name another node holds is given up for a fresh userN.
                    if (kv is not null && IsLinked && !await HoldsAsync(kv, name).ConfigureAwait(false))
                    {
                        Stats.NameConflict();
                        await RenameConflictingAsync(name).ConfigureAwait(false);
                    }
                }
                else if (kv is not null && IsLinked)
                {
                    await ReleaseOwnAsync(kv, name, _stop.Token).ConfigureAwait(false);
                }
            }
            catch (Exception e)
            {
                // The loop goes on whatever failed; a /nick whose claim failed is refused rather than left waiting.
                if (member is not null && bytes is not null)
                {
                    _hub.CompleteRename(member, name, bytes, granted: false);
                }

                if (e is not OperationCanceledException)
                {
                    ClusterLog.OperationFailed(_logger, $"name {name}", e.Message);
                }
            }
        }
    }

    private async Task RenameConflictingAsync(string name)
    {
        if (!TryTakePooled(out string fresh))
        {
            await RefillAsync().ConfigureAwait(false);
            if (!TryTakePooled(out fresh))
            {
                ClusterLog.OperationFailed(_logger, $"renaming {name}, held by another node after the outage,", "no userN name could be claimed; kept here until it leaves");
                return;
            }
        }

        if (_hub.RenameConflicting(name, fresh))
        {
            ClusterLog.NameConflict(_logger, name, fresh);
        }
        else
        {
            _claims.Writer.TryWrite((fresh, null, null));
        }
    }

    /// <summary>True if this node holds <paramref name="name"/> (claiming it if free).</summary>
    private async Task<bool> HoldsAsync(INatsKVStore kv, string name)
    {
        if ((await kv.TryCreateAsync(Key(name), _nodeValue, serializer: RawBytes, cancellationToken: _stop.Token).ConfigureAwait(false)).Success)
        {
            return true;
        }

        var entry = await kv.TryGetEntryAsync(Key(name), serializer: RawBytes, cancellationToken: _stop.Token).ConfigureAwait(false);
        return entry.Success && entry.Value.Value is { } owner && owner.AsSpan().SequenceEqual(_nodeValue);
    }

    /// <summary>Deletes the claim of <paramref name="name"/> if this node holds it (a claim swept and taken by another node stays).</summary>
    private async ValueTask ReleaseOwnAsync(INatsKVStore kv, string name, CancellationToken cancel)
    {
        var entry = await kv.TryGetEntryAsync(Key(name), serializer: RawBytes, cancellationToken: cancel).ConfigureAwait(false);
        if (entry.Success && entry.Value.Value is { } owner && owner.AsSpan().SequenceEqual(_nodeValue))
        {
            await kv.TryDeleteAsync(Key(name), new NatsKVDeleteOpts { Revision = entry.Value.Revision }, cancel).ConfigureAwait(false);
        }
    }

    // The link is up but no claimed name is at hand: the hub numbers the member on this node alone.
    private bool NumberedLocally()
    {
        Stats.NameNumberedLocally();
        if (_localNameLog.TryLog(out long suppressed))
        {
            ClusterLog.NameNumberedLocally(_logger, _settings.ClaimWait.TotalSeconds, suppressed);
        }

        return false;
    }

    private bool TryTakePooled(out string name)
    {
        if (!_pool.TryDequeue(out name!))
        {
            name = string.Empty;
            return false;
        }

        if (_pool.Count < _settings.NamePool / 2)
        {
            Refill();
        }

        return true;
    }

    private void ForgetWaiter(IChatMemberSink? waiter)
    {
        if (waiter is not null && !_nameWaiters.IsEmpty)
        {
            _nameWaiters.TryRemove(waiter, out _);
        }
    }

    // Members waiting for a name ask again; one that left meanwhile is dropped after ClaimWait.
    private void WakeNameWaiters()
    {
        if (_nameWaiters.IsEmpty)
        {
            return;
        }

        long now = _settings.Time.GetTimestamp();
        foreach ((IChatMemberSink waiter, long since) in _nameWaiters)
        {
            if (_settings.Time.GetElapsedTime(since, now) >= 2 * _settings.ClaimWait)
            {
                _nameWaiters.TryRemove(waiter, out _);
            }

            waiter.Wake();
        }
    }

    private void Refill()
    {
        if (IsLinked && Interlocked.CompareExchange(ref _refilling, 1, 0) == 0)
        {
            _ = Task.Run(async () =>
            {
                try
                {
                    await RefillAsync().ConfigureAwait(false);
                }
                finally
                {
                    Volatile.Write(ref _refilling, 0);
                }
            });
        }
    }

    /// <summary>Claims <c>userN</c> names ahead until the pool is full; a name another node holds is skipped.</summary>
    private async Task RefillAsync()
    {
        var kv = _kv;
        while (kv is not null && IsLinked && !_stopping && _pool.Count < _settings.NamePool)
        {
            int batch = _settings.NamePool - _pool.Count;
            var names = new string[batch];
            var claims = new Task<NatsResult<ulong>>[batch];
            for (int i = 0; i < batch; i++)
            {
                names[i] = string.Create(CultureInfo.InvariantCulture, $"user{Interlocked.Increment(ref _nextUserNumber)}");
                claims[i] = kv.TryCreateAsync(names[i], _nodeValue, serializer: RawBytes, cancellationToken: _stop.Token).AsTask();
            }

            try
            {
                await Task.WhenAll(claims).ConfigureAwait(false);
            }
            catch (Exception e) when (e is NatsException or OperationCanceledException or ObjectDisposedException)
            {
                ClusterLog.OperationFailed(_logger, "claiming userN names", e.Message);
                return;
            }

            for (int i = 0; i < batch; i++)
            {
                if (claims[i].Result.Success)
                {
                    _pool.Enqueue(names[i]);
                }
            }

            WakeNameWaiters();
        }
    }

    /// <summary>
    /// Frees the names of nodes that are gone (SIGKILL, or stopped while the link was down): any claim whose
    /// owner has not been heard from for <see cref="ClusterSettings.DeadAfter"/>. Deletes only the revision it
    /// read, so a name claimed again meanwhile stays claimed.
    /// </summary>
    private void SweepLater(TimeSpan? after = null, ulong? only = null) => _ = Task.Run(async () =>
    {
        try
        {
            await Task.Delay(after ?? _settings.DeadAfter, _settings.Time, _stop.Token).ConfigureAwait(false);
            if (_kv is not { } kv || !IsLinked)
            {
                return;
            }

            int freed = 0;
            await foreach (var key in kv.GetKeysAsync(cancellationToken: _stop.Token).ConfigureAwait(false))
            {
                var entry = await kv.TryGetEntryAsync(key, serializer: RawBytes, cancellationToken: _stop.Token).ConfigureAwait(false);
                if (!entry.Success || entry.Value.Value is not { Length: 8 } owner)
                {
                    continue;
                }

                ulong node = BinaryPrimitives.ReadUInt64LittleEndian(owner);
                if (only is { } dead ? node == dead : node != _node && !_lastHeard.ContainsKey(node))
                {
                    if ((await kv.TryDeleteAsync(key, new NatsKVDeleteOpts { Revision = entry.Value.Revision }, _stop.Token).ConfigureAwait(false)).Success)
                    {
                        freed++;
                    }
                }
            }

            if (freed > 0)
            {
                ClusterLog.NamesFreed(_logger, freed);
            }
        }
        catch (Exception e) when (e is NatsException or OperationCanceledException or ObjectDisposedException)
        {
            if (e is not OperationCanceledException)
            {
                ClusterLog.OperationFailed(_logger, "freeing names of departed nodes", e.Message);
            }
        }
    });

    private static string Key(string name) => name.ToLowerInvariant();
}
