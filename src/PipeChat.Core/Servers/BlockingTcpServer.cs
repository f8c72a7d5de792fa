using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using PipeChat.Connections;
using PipeChat.Diagnostics;
using PipeChat.Protocols;

namespace PipeChat.Servers;

/// <summary>
/// Shared shape of the blocking models: an accept thread and <see cref="BlockingConnection"/>s.
/// The models differ only in <see cref="TryDispatch"/>: serve inline (iterative) or on a new thread.
/// </summary>
public abstract class BlockingTcpServer : IServer, IListeningServer
{
    private readonly TcpListening _listening;
    private readonly IStreamProtocol _protocol;
    private readonly ConnectionRegistry<BlockingConnection> _connections;
    private Thread? _acceptThread;

    /// <summary>Binds the listening socket; <see cref="Start"/> starts accepting.</summary>
    protected BlockingTcpServer(ServerSettings settings, IStreamProtocol protocol, ILogger logger)
    {
        Settings = settings;
        _protocol = protocol;
        _connections = new ConnectionRegistry<BlockingConnection>(settings.MaxConnections);
        _listening = new TcpListening(settings, protocol, Stats, logger);
        _listening.Bound.PrepareForBlockingUse();
    }

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">The server listens on a Unix socket.</exception>
    public IPEndPoint LocalEndPoint => _listening.Bound.IPEndPoint;

    EndPoint IListeningServer.ListenEndPoint => _listening.Bound.EndPoint;

    /// <inheritdoc/>
    public ServerStats Stats { get; } = new();

    /// <summary>The settings the server was made with.</summary>
    protected ServerSettings Settings { get; }

    /// <inheritdoc/>
    public void Start()
    {
        _acceptThread = new Thread(AcceptLoop) { IsBackground = true, Name = "pipechat-accept" };
        _acceptThread.Start();
    }

    /// <inheritdoc/>
    public async Task StopAsync(TimeSpan drainTimeout)
    {
        _listening.Stop();
        var deadline = DateTime.UtcNow + drainTimeout;
        if (_acceptThread is { } thread)
        {
            // The iterative model may be serving a client on the accept thread: ask it to finish
            // first so that the accept thread can end.
            _connections.StopAll(graceful: drainTimeout > TimeSpan.Zero);
            var wait = drainTimeout > TimeSpan.Zero ? drainTimeout : TimeSpan.FromSeconds(1);
            await Task.Run(() => thread.Join(wait)).ConfigureAwait(false);
        }

        var left = deadline - DateTime.UtcNow;
        await _connections.DrainAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero).ConfigureAwait(false);
        if (_acceptThread is { } accept)
        {
            await Task.Run(accept.Join).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.Zero).ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// Runs <paramref name="serve"/> the way this model serves a connection; false when it could
    /// not (no thread could be created: out of descriptors or memory).
    /// </summary>
    protected abstract bool TryDispatch(Action serve);

    /// <summary>
    /// Connections already waiting that are admitted together (each admission runs the session's
    /// start, e.g. a chat join, on the accept thread) before any writer they queued output for is
    /// woken, and before their own threads start. 1: one at a time.
    /// </summary>
    protected virtual int AcceptBatch => 1;

    private void AcceptLoop()
    {
        var batch = new List<(BlockingConnection Connection, long Id, ClientAddress? Address)>(AcceptBatch);
        while (true)
        {
            Socket socket;
            try
            {
                socket = _listening.Bound.Socket.Accept();
            }
            catch (Exception e) when (e is ObjectDisposedException or SocketException { SocketErrorCode: SocketError.OperationAborted or SocketError.Interrupted or SocketError.InvalidArgument })
            {
                return;
            }
            catch (SocketException e) when (_listening.Bound.IsWakeUp(e))
            {
                if (_listening.Stopped)
                {
                    return;
                }

                continue;
            }
            catch (SocketException e)
            {
                var pause = _listening.Backoff.OnAcceptFailed(e.SocketErrorCode);
                if (pause > TimeSpan.Zero)
                {
                    Thread.Sleep(pause);
                }

                continue;
            }

            if (_listening.Backoff.OnAccepted(socket) is { } reserved)
            {
                Thread.Sleep(reserved);
                continue;
            }

            DeferredWakes.Begin();
            try
            {
                Admit(socket, batch);

                // A connect storm: admit the clients already waiting before waking any writer,
                // so that each writer sends the join notices of the whole batch in one write.
                for (var taken = 1; taken < AcceptBatch && TryAcceptWaiting() is { } waiting; taken++)
                {
                    Admit(waiting, batch);
                }
            }
            finally
            {
                DeferredWakes.End();
                var shortage = false;
                foreach (var (connection, id, address) in batch)
                {
                    void Serve() => this.Serve(connection, id, address);
                    if (!TryDispatch(Serve))
                    {
                        // No thread for it: close it here (Serve on a closed socket just cleans up).
                        connection.Abort();
                        Serve();
                        shortage = true;
                    }
                }

                batch.Clear();
                if (shortage)
                {
                    Thread.Sleep(_listening.Backoff.OnShortage("no thread could be created"));
                }
            }
        }
    }

    private Socket? TryAcceptWaiting()
    {
        try
        {
            if (!_listening.Bound.Socket.Poll(0, SelectMode.SelectRead))
            {
                return null;
            }

            var socket = _listening.Bound.Socket.Accept();
            if (AcceptBackoff.IsInReserve(socket))
            {
                socket.Dispose();
                return null; // The blocking accept meets the shortage next and pauses.
            }

            return socket;
        }
        catch (Exception e) when (e is ObjectDisposedException or SocketException)
        {
            return null; // The blocking accept sees it again and decides.
        }
    }

    private void Admit(Socket socket, List<(BlockingConnection Connection, long Id, ClientAddress? Address)> batch)
    {
        if (!_listening.Admission.TryAdmit(socket, _connections, out var id, out var address))
        {
            return;
        }

        var connection = new BlockingConnection(socket, _protocol, Stats, Settings);
        _connections.Set(id, connection);
        batch.Add((connection, id, address));
    }

    private void Serve(BlockingConnection connection, long id, ClientAddress? address)
    {
        try
        {
            connection.Run();
        }
        finally
        {
            _listening.Admission.OnClosed(_connections, id, address, connection.Fault);
        }
    }
}
