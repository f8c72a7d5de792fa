using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace PipeChat.LoadTests.Sockets;

/// <summary>
/// A client TCP connection whose every operation has a timeout. Sends and receives use the
/// socket's <see cref="ValueTask"/> APIs on caller-owned buffers; the timeout reuses one
/// <see cref="CancellationTokenSource"/>, so a steady-state operation allocates nothing.
/// A timed-out operation throws <see cref="TimeoutException"/>; the connection should then be dropped.
/// </summary>
public sealed class TcpConnection : IDisposable
{
    private readonly Socket _socket;
    private readonly TimeSpan _timeout;
    private readonly CancellationToken _outer;
    private CancellationTokenSource _cts;

    private TcpConnection(Socket socket, TimeSpan timeout, CancellationToken outer)
    {
        _socket = socket;
        _timeout = timeout;
        _outer = outer;
        _cts = CancellationTokenSource.CreateLinkedTokenSource(outer);
    }

    /// <summary>Gets the underlying socket.</summary>
    public Socket Socket => _socket;

    /// <summary>Connects to <paramref name="endPoint"/> within <paramref name="connectTimeout"/>.</summary>
    /// <exception cref="TimeoutException">The connect took too long.</exception>
    /// <exception cref="SocketException">The connect failed.</exception>
    public static async Task<TcpConnection> ConnectAsync(
        IPEndPoint endPoint,
        TimeSpan connectTimeout,
        TimeSpan operationTimeout,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(connectTimeout);
            try
            {
                await socket.ConnectAsync(endPoint, cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"connect to {endPoint} timed out");
            }

            return new TcpConnection(socket, operationTimeout, cancellationToken);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends all of <paramref name="data"/>.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask SendAsync(ReadOnlyMemory<byte> data)
    {
        _cts.CancelAfter(_timeout);
        try
        {
            while (!data.IsEmpty)
            {
                int sent = await _socket.SendAsync(data, SocketFlags.None, _cts.Token).ConfigureAwait(false);
                data = data[sent..];
            }
        }
        catch (OperationCanceledException) when (!_outer.IsCancellationRequested)
        {
            throw new TimeoutException("send timed out");
        }
        finally
        {
            ResetTimer();
        }
    }

    /// <summary>Receives what is available (at least one byte); 0 when the peer closed.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> ReceiveAsync(Memory<byte> buffer)
    {
        _cts.CancelAfter(_timeout);
        try
        {
            return await _socket.ReceiveAsync(buffer, SocketFlags.None, _cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!_outer.IsCancellationRequested)
        {
            throw new TimeoutException("receive timed out");
        }
        finally
        {
            ResetTimer();
        }
    }

    /// <summary>Receives what is available without a timeout other than <paramref name="cancellationToken"/>.</summary>
    public ValueTask<int> ReceiveUntilCancelledAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);

    /// <summary>Fills <paramref name="buffer"/> completely.</summary>
    /// <exception cref="EndOfStreamException">The peer closed first.</exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask ReceiveExactlyAsync(Memory<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            int n = await ReceiveAsync(buffer).ConfigureAwait(false);
            if (n == 0)
            {
                throw new EndOfStreamException("connection closed by peer");
            }

            buffer = buffer[n..];
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _socket.Dispose();
        _cts.Dispose();
    }

    private void ResetTimer()
    {
        if (!_cts.TryReset())
        {
            // the timer fired as the operation finished: start over with a fresh source
            _cts.Dispose();
            _cts = CancellationTokenSource.CreateLinkedTokenSource(_outer);
        }
    }
}
