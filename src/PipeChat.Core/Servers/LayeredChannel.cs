using System.Net.Sockets;
using PipeChat.Transport;

namespace PipeChat.Servers;

/// <summary>
/// A blocking connection's channel through connection layers (TLS): the socket as a <see cref="SocketStream"/>
/// whose sync reads wait in short polls (so a stop needs no receive timeout that could cut a record
/// in half), the layers opened over it on the connection's thread, bounded by the layers' own timeouts.
/// </summary>
internal sealed class LayeredChannel : IBlockingChannel
{
    private readonly ConnectionLayers _layers;
    private readonly SocketStream _transport;
    private readonly CancellationTokenSource _stop = new();
    private ConnectionLayers.OpenLayers? _open;
    private int _disposed;
    private volatile bool _stopping;

    /// <param name="socket">The accepted socket; the channel owns it.</param>
    /// <param name="layers">The server's connection layers.</param>
    /// <param name="closing">Whether the connection is closing: a blocked read then gives up (<see cref="Receive"/> returns -1).</param>
    public LayeredChannel(Socket socket, ConnectionLayers layers, Func<bool> closing)
    {
        _layers = layers;
        _transport = new SocketStream(socket) { StopRequested = () => _stopping || closing() };
    }

    public bool Open()
    {
        try
        {
            _open = _layers.OpenAsync(_transport, _stop.Token).GetAwaiter().GetResult();
            return true;
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // Refused by a layer (counted and logged there), or the peer went away.
            return false;
        }
    }

    public int Receive(byte[] buffer, int offset, int count)
    {
        try
        {
            return _open!.Stream.Read(buffer, offset, count);
        }
        catch (ReceiveStoppedException)
        {
            return -1;
        }
    }

    public void Send(ReadOnlySpan<byte> data) => _open!.Stream.Write(data);

    public void ShutdownSend()
    {
        _open!.CloseAsync().AsTask().GetAwaiter().GetResult();
        _transport.Socket.Shutdown(SocketShutdown.Send);
    }

    public int DrainReceive(byte[] scratch, TimeSpan wait)
    {
        var socket = _transport.Socket;
        if (!socket.Poll(wait, SelectMode.SelectRead))
        {
            return -1;
        }

        return socket.Receive(scratch);
    }

    public void Stop()
    {
        _stopping = true;
        try
        {
            _stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Closed already.
        }
    }

    public void Abort()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Stop();
            _transport.Socket.Dispose();
        }
    }

    public void Dispose()
    {
        Abort();
        _open?.Dispose();
        _transport.Dispose();
        _stop.Dispose();
    }
}
