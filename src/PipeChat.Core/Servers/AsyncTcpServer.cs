using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using PipeChat.Connections;
using PipeChat.Diagnostics;
using PipeChat.Protocols;
using PipeChat.Transport;

namespace PipeChat.Servers;

/// <summary>
/// The async model: one accept loop, and per connection a <see cref="SocketConnection"/> driven
/// by socket completions, not threads. An idle connection costs its socket, one pending
/// zero-byte receive and a few small objects.
/// </summary>
public sealed class AsyncTcpServer : IServer, IListeningServer, IConnectionOwner<SocketConnection>, IConnectionOwner<StreamConnection>
{
    private readonly TcpListening _listening;
    private readonly IStreamProtocol _protocol;
    private readonly ConnectionRegistry<IDrainable> _connections;
    private readonly StreamConnectionResources? _layered;
    private readonly object? _epollLayered;
    private readonly TransportResources _resources;
    private Task _acceptLoop = Task.CompletedTask;

    /// <summary>Binds the listening socket; <see cref="Start"/> starts accepting.</summary>
    public AsyncTcpServer(ServerSettings settings, IStreamProtocol protocol, ILogger logger)
    {
        _protocol = protocol;
        _connections = new ConnectionRegistry<IDrainable>(settings.MaxConnections);
        _listening = new TcpListening(settings, protocol, Stats, logger);
        _resources = new TransportResources(settings.Transport, Stats, this, CreateIo(settings.Transport), settings.LingerTimeout);
        if (!settings.Layers.IsEmpty)
        {
            // Connection layers (TLS) need a stream: those connections run as StreamConnections; plain ones keep the socket path.
            _layered = new StreamConnectionResources(settings.Layers, Stats, this, settings.LingerTimeout, Math.Max(settings.Transport.MinimumReceiveBuffer, 16 * 1024));

            // On epoll I/O they wait for readiness there, parked: no pending read of the layer, no SocketAsyncEventArgs.
            if (OperatingSystem.IsLinux() && _resources.Io is Transport.Epoll.EpollSocketIo.Factory epoll)
            {
                _epollLayered = new EpollStreamConnectionResources(_layered, new EpollOwner(this), epoll);
            }
        }
    }

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">The server listens on a Unix socket.</exception>
    public IPEndPoint LocalEndPoint => _listening.Bound.IPEndPoint;

    EndPoint IListeningServer.ListenEndPoint => _listening.Bound.EndPoint;

    /// <inheritdoc/>
    public ServerStats Stats { get; } = new();

    /// <inheritdoc/>
    public void Start() => _acceptLoop = AcceptLoopAsync();

    /// <inheritdoc/>
    public async Task StopAsync(TimeSpan drainTimeout)
    {
        _listening.Stop();
        await _acceptLoop.ConfigureAwait(false);
        await _connections.DrainAsync(drainTimeout).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync() => await StopAsync(TimeSpan.Zero).ConfigureAwait(false);

    private async Task AcceptLoopAsync()
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await _listening.Bound.Socket.AcceptAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is ObjectDisposedException or SocketException { SocketErrorCode: SocketError.OperationAborted or SocketError.Interrupted })
            {
                return; // Listener closed: shutting down.
            }
            catch (SocketException e)
            {
                // A shortage pauses rather than spins: a spinning loop keeps the thread pool busy,
                // and it answers by creating threads, which need descriptors.
                var pause = _listening.Backoff.OnAcceptFailed(e.SocketErrorCode);
                if (pause > TimeSpan.Zero)
                {
                    await Task.Delay(pause).ConfigureAwait(false);
                }

                continue;
            }

            if (_listening.Backoff.OnAccepted(socket) is { } reserved)
            {
                await Task.Delay(reserved).ConfigureAwait(false);
                continue;
            }
            Admit(socket);
        }
    }

    private void Admit(Socket socket)
    {
        if (!_listening.Admission.TryAdmit(socket, _connections, out var id, out var address))
        {
            return;
        }

        if (OperatingSystem.IsLinux() && _epollLayered is EpollStreamConnectionResources epoll)
        {
            var parked = new EpollStreamConnection(socket, _protocol, epoll, id) { ClientAddress = address };
            _connections.Set(id, parked);
            parked.Start();
            return;
        }

        if (_layered is not null)
        {
            var layered = new StreamConnection(socket, _protocol, _layered, id) { ClientAddress = address };
            _connections.Set(id, layered);
            layered.Start();
            return;
        }

        var connection = new SocketConnection(socket, _protocol, _resources, id) { ClientAddress = address };
        _connections.Set(id, connection);
        connection.Start();
    }

    /// <summary>Layered (TLS) connections on epoll I/O parked idle now: nothing pending but their epoll registration.</summary>
    internal int ParkedConnections
    {
        get
        {
            var parked = 0;
            if (OperatingSystem.IsLinux())
            {
                foreach (var connection in _connections.Snapshot())
                {
                    parked += connection is EpollStreamConnection { Parked: true } ? 1 : 0;
                }
            }

            return parked;
        }
    }

    /// <summary>The socket I/O actually used: what was asked, with Auto resolved for this OS.</summary>
    public SocketIoKind Io { get; private set; }

    /// <summary>Epoll I/O: what each of this server's loops served (null with SocketAsyncEventArgs).</summary>
    internal Transport.Epoll.LoopCounters? IoLoops { get; private set; }

    private ISocketIoFactory CreateIo(TransportOptions options)
    {
        var kind = options.Io;
        if (kind == SocketIoKind.Auto)
        {
            kind = OperatingSystem.IsLinux() ? SocketIoKind.Epoll : SocketIoKind.Saea;
        }

        Io = kind;
        if (kind == SocketIoKind.Epoll)
        {
            if (!OperatingSystem.IsLinux())
            {
                throw new PlatformNotSupportedException("--io epoll needs Linux");
            }

            var factory = new Transport.Epoll.EpollSocketIo.Factory(options.IoThreads > 0 ? options.IoThreads : Transport.Epoll.EpollLoop.DefaultCount);
            IoLoops = factory.Counters;
            return factory;
        }

        return new SaeaSocketIo.Factory();
    }

    void IConnectionOwner<SocketConnection>.OnConnectionClosed(SocketConnection connection) =>
        _listening.Admission.OnClosed(_connections, connection.Id, connection.ClientAddress, connection.Fault);

    void IConnectionOwner<StreamConnection>.OnConnectionClosed(StreamConnection connection) =>
        _listening.Admission.OnClosed(_connections, connection.Id, connection.ClientAddress, connection.Fault);

    /// <summary>Told when a parked-TLS connection (epoll I/O) has ended.</summary>
    private sealed class EpollOwner(AsyncTcpServer server) : IConnectionOwner<EpollStreamConnection>
    {
        public void OnConnectionClosed(EpollStreamConnection connection)
        {
            if (OperatingSystem.IsLinux())
            {
                server._listening.Admission.OnClosed(server._connections, connection.Id, connection.ClientAddress, connection.Fault);
            }
        }
    }
}
