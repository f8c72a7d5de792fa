using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using PipeChat.Diagnostics;
using PipeChat.Protocols;

namespace PipeChat.Servers;

/// <summary>
/// A UDP server in any model. UDP has no connections, so the models differ only in who waits
/// for datagrams: one blocking thread (iterative), one blocking thread per core on the same
/// socket (threads), or async receive loops that hold no thread while idle (async).
/// </summary>
public sealed class UdpServer : IServer, IListeningServer, IDatagramOutput
{
    private const int MaxDatagram = 65_536;

    private readonly BoundListener _bound;
    private readonly Socket _socket;
    private readonly IDatagramProtocol _protocol;
    private readonly int _receiveLoops;
    private readonly bool _asyncLoops;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _loops = [];
    private readonly LogThrottle _receiveErrorLog = new();
    private readonly LogThrottle _sendErrorLog = new();
    private Timer? _tick;

    /// <summary>
    /// A UDP server with <paramref name="receiveLoops"/> receive loops (1 where the protocol takes
    /// datagrams one at a time), async (<paramref name="asyncLoops"/>) or each on its own thread.
    /// </summary>
    public UdpServer(ServerSettings settings, IDatagramProtocol protocol, int receiveLoops, bool asyncLoops, ILogger logger)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(receiveLoops, 1);
        _protocol = protocol;
        _receiveLoops = receiveLoops;
        _asyncLoops = asyncLoops;
        _logger = logger;
        _bound = Listener.OpenDatagram(settings);
        _socket = _bound.Socket;
        if (!asyncLoops)
        {
            _bound.PrepareForBlockingUse();
        }
    }

    /// <inheritdoc/>
    public IPEndPoint LocalEndPoint => _bound.IPEndPoint;

    EndPoint IListeningServer.ListenEndPoint => _bound.EndPoint;

    /// <inheritdoc/>
    public ServerStats Stats { get; } = new();

    /// <inheritdoc/>
    public void Start()
    {
        var loops = _protocol.AllowsConcurrentDatagrams ? _receiveLoops : 1;

        for (var i = 0; i < loops; i++)
        {
            _loops.Add(_asyncLoops ? ReceiveLoopAsync() : StartBlockingLoop());
        }

        if (_protocol.TickInterval is { } interval)
        {
            _tick = new Timer(_ => Tick(), null, interval, interval);
        }
    }

    /// <summary>Sends one datagram to <paramref name="destination"/>; dropped when the socket cannot take it now.</summary>
    public void SendTo(ReadOnlySpan<byte> datagram, SocketAddress destination)
    {
        try
        {
            var sent = _socket.SendTo(datagram, SocketFlags.None, destination);
            Stats.OnSent(sent);
        }
        catch (SocketException e)
        {
            // UDP send errors (e.g. ICMP unreachable reported late) concern one peer only.
            if (_sendErrorLog.TryLog(out var suppressed))
            {
                Log.UdpSendFailed(_logger, e.SocketErrorCode, suppressed);
            }
        }
    }

    /// <inheritdoc/>
    public async Task StopAsync(TimeSpan drainTimeout)
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        if (_tick is not null)
        {
            await _tick.DisposeAsync().ConfigureAwait(false);
        }

        lock (_protocol)
        {
            _protocol.OnShutdown(this);
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _bound.Dispose();
        await Task.WhenAll(_loops).ConfigureAwait(false);
        _stopping.Dispose();
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync() => await StopAsync(TimeSpan.Zero).ConfigureAwait(false);

    private void Tick()
    {
        lock (_protocol)
        {
            _protocol.OnTick(this);
        }
    }

    private async Task ReceiveLoopAsync()
    {
        await Task.Yield();
        var buffer = GC.AllocateUninitializedArray<byte>(MaxDatagram, pinned: true);
        var from = new SocketAddress(_socket.AddressFamily);
        var token = _stopping.Token;
        while (!token.IsCancellationRequested)
        {
            int count;
            try
            {
                count = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, from, token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.OperationAborted)
            {
                return;
            }
            catch (SocketException e)
            {
                if (OnReceiveFailed(e.SocketErrorCode) is { } pause)
                {
                    await Task.Delay(pause, CancellationToken.None).ConfigureAwait(false);
                }

                continue;
            }

            Handle(buffer.AsSpan(0, count), from);
        }
    }

    /// <summary>
    /// Logs a failed receive (at most once a second); returns a pause when the cause is a
    /// shortage of memory or descriptors, which retrying at once would only make worse.
    /// </summary>
    private TimeSpan? OnReceiveFailed(SocketError error)
    {
        if (_receiveErrorLog.TryLog(out var suppressed))
        {
            Log.UdpReceiveFailed(_logger, error, suppressed);
        }

        return AcceptBackoff.IsShortage(error) ? ShortagePause : null;
    }

    private static readonly TimeSpan ShortagePause = TimeSpan.FromMilliseconds(10);

    private Task StartBlockingLoop()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                BlockingLoop();
            }
            finally
            {
                done.SetResult();
            }
        })
        { IsBackground = true, Name = "pipechat-udp" };
        thread.Start();
        return done.Task;
    }

    private void BlockingLoop()
    {
        var buffer = new byte[MaxDatagram];
        var from = new SocketAddress(_socket.AddressFamily);
        while (!_stopping.IsCancellationRequested)
        {
            int count;
            try
            {
                count = _socket.ReceiveFrom(buffer, SocketFlags.None, from);
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e) when (_bound.IsWakeUp(e))
            {
                continue; // The loop's condition sees a stop.
            }
            catch (SocketException e) when (_stopping.IsCancellationRequested || e.SocketErrorCode is SocketError.OperationAborted or SocketError.Interrupted)
            {
                return;
            }
            catch (SocketException e)
            {
                if (OnReceiveFailed(e.SocketErrorCode) is { } pause)
                {
                    Thread.Sleep(pause);
                }

                continue;
            }

            Handle(buffer.AsSpan(0, count), from);
        }
    }

    private void Handle(ReadOnlySpan<byte> datagram, SocketAddress from)
    {
        Stats.OnReceived(datagram.Length);
        _protocol.OnDatagram(datagram, from, this);
    }
}
