using System.Net.Sockets;

namespace PipeChat.Servers;

/// <summary>A plain connection's channel: blocking calls on the socket, waking every <see cref="StopCheckInterval"/> to check the stop flags.</summary>
internal sealed class SocketChannel(Socket socket) : IBlockingChannel
{
    /// <summary>A blocked receive wakes this often to see whether the server is stopping.</summary>
    public static readonly TimeSpan StopCheckInterval = TimeSpan.FromMilliseconds(200);

    private int _disposed;

    public bool Open()
    {
        socket.ReceiveTimeout = (int)StopCheckInterval.TotalMilliseconds;
        return true;
    }

    public int Receive(byte[] buffer, int offset, int count)
    {
        // The overload with an error code: the periodic time-out is not worth an exception
        // (1000 idle members threw 5000 SocketExceptions a second).
        var received = socket.Receive(buffer, offset, count, SocketFlags.None, out var error);
        return error switch
        {
            SocketError.Success => received,
            SocketError.TimedOut => -1,
            _ => throw new SocketException((int)error),
        };
    }

    public void Send(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            var sent = socket.Send(data, SocketFlags.None);
            data = data[sent..];
        }
    }

    public void ShutdownSend() => socket.Shutdown(SocketShutdown.Send);

    public int DrainReceive(byte[] scratch, TimeSpan wait)
    {
        try
        {
            return socket.Receive(scratch);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
        {
            return -1;
        }
    }

    public void Stop()
    {
        // The receive timeout wakes the reader.
    }

    public void Abort()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            socket.Dispose();
        }
    }

    public void Dispose() => Abort();
}
