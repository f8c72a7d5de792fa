using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace PipeChat.LoadTests.Sockets;

/// <summary>A connected UDP socket whose every receive and send has a timeout (see <see cref="TcpConnection"/>).</summary>
public sealed class UdpConnection : IDisposable
{
    private readonly Socket _socket;
    private readonly TimeSpan _timeout;
    private readonly CancellationToken _outer;
    private CancellationTokenSource _cts;

    /// <summary>Initializes a new instance of the <see cref="UdpConnection"/> class connected to <paramref name="endPoint"/>.</summary>
    public UdpConnection(IPEndPoint endPoint, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        _socket = new Socket(endPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            _socket.Connect(endPoint);
        }
        catch
        {
            _socket.Dispose();
            throw;
        }

        _timeout = timeout;
        _outer = cancellationToken;
        _cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
    }

    /// <summary>Sends one datagram.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask SendAsync(ReadOnlyMemory<byte> datagram)
    {
        _cts.CancelAfter(_timeout);
        try
        {
            await _socket.SendAsync(datagram, SocketFlags.None, _cts.Token).ConfigureAwait(false);
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

    /// <summary>Receives one datagram, waiting at most <paramref name="timeout"/>.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> ReceiveAsync(Memory<byte> buffer, TimeSpan timeout)
    {
        _cts.CancelAfter(timeout);
        try
        {
            return await _socket.ReceiveAsync(buffer, SocketFlags.None, _cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!_outer.IsCancellationRequested)
        {
            throw new TimeoutException("no reply within the timeout");
        }
        finally
        {
            ResetTimer();
        }
    }

    /// <summary>Gets the timeout of one datagram.</summary>
    public TimeSpan Timeout => _timeout;

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
            _cts.Dispose();
            _cts = CancellationTokenSource.CreateLinkedTokenSource(_outer);
        }
    }
}
