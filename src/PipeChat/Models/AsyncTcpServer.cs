using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using PipeChat.Diagnostics;
using PipeChat.Protocols;
using PipeChat.Transport;

namespace PipeChat.Models;

/// <summary>
/// The async model: one accept loop, and per connection a <see cref="SocketConnection"/> whose
/// loops are awaits, not threads. Thousands of idle connections cost a few small objects each.
/// </summary>
public sealed class AsyncTcpServer : IServer
{
    private readonly Socket _listener;
    private readonly IStreamProtocol _protocol;
    private int _stopped;
    private readonly ServerSettings _settings;
    private readonly ILogger _logger;
    private readonly ConnectionRegistry<SocketConnection> _connections;
    private Task _acceptLoop = Task.CompletedTask;

    public AsyncTcpServer(ServerSettings settings, IStreamProtocol protocol, ILogger logger)
    {
        _settings = settings;
        _protocol = protocol;
        _logger = logger;
        _connections = new ConnectionRegistry<SocketConnection>(settings.MaxConnections);
        _listener = Listener.BindTcp(settings.EndPoint, settings.Backlog);
        LocalEndPoint = Listener.LocalEndPointOf(_listener);
    }

    public IPEndPoint LocalEndPoint { get; }

    public ServerStats Stats { get; } = new();

    public void Start() => _acceptLoop = AcceptLoopAsync();

    public async Task StopAsync(TimeSpan drainTimeout)
    {
        _listener.Dispose();
        if (Interlocked.Exchange(ref _stopped, 1) == 0)
        {
            _protocol.OnServerStopping();
        }
        await _acceptLoop.ConfigureAwait(false);
        await _connections.DrainAsync(drainTimeout).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync() => await StopAsync(TimeSpan.Zero).ConfigureAwait(false);

    private async Task AcceptLoopAsync()
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is ObjectDisposedException or SocketException { SocketErrorCode: SocketError.OperationAborted or SocketError.Interrupted })
            {
                return; // Listener closed: shutting down.
            }
            catch (SocketException e)
            {
                // E.g. EMFILE under a connection storm: keep the server alive and retry.
                Log.AcceptFailed(_logger, e.SocketErrorCode);
                await Task.Yield();
                continue;
            }

            var id = _connections.TryReserve();
            if (id < 0)
            {
                Stats.OnRejected();
                socket.Dispose();
                continue;
            }

            socket.NoDelay = true;
            Stats.OnAccepted();
            var connection = new SocketConnection(socket, _protocol, Stats, _settings.Transport);
            _connections.Set(id, connection);
            _ = RunConnectionAsync(connection, id);
        }
    }

    private async Task RunConnectionAsync(SocketConnection connection, long id)
    {
        // Leave the accept loop's stack before doing any connection work.
        await Task.Yield();
        try
        {
            await connection.RunAsync().ConfigureAwait(false);
            if (connection.Fault is { } fault)
            {
                Log.SessionFault(_logger, fault);
            }
        }
        finally
        {
            _connections.Remove(id);
            Stats.OnClosed();
        }
    }
}
