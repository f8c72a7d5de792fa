using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace PipeChat.LoadTests.Sockets;

/// <summary>
/// A client TCP connection whose every operation has a timeout. Sends and receives use the
/// socket's <see cref="ValueTask"/> APIs on caller-owned buffers; timeouts are enforced by
/// <see cref="SocketWatchdog"/>, so a steady-state operation allocates nothing and arms no timer.
/// A timed-out operation throws <see cref="TimeoutException"/> and leaves the connection closed.
/// Cancelling the token given at connect time closes the connection.
/// </summary>
public sealed class TcpConnection : IDisposable, SocketWatchdog.IDeadline
{
    private readonly Socket _socket;
    private readonly System.Net.Security.SslStream? _tls;
    private readonly long _timeoutMs;
    private readonly CancellationTokenRegistration _abort;
    private long _deadline;
    private volatile bool _timedOut;

    private TcpConnection(Socket socket, TimeSpan timeout, CancellationToken outer, System.Net.Security.SslStream? tls = null)
    {
        _socket = socket;
        _tls = tls;
        _timeoutMs = Math.Max(1, (long)timeout.TotalMilliseconds);
        _abort = outer.UnsafeRegister(static s => ((Socket)s!).Dispose(), socket);
        SocketWatchdog.Add(this);
    }

    /// <summary>Gets the underlying socket.</summary>
    public Socket Socket => _socket;

    /// <inheritdoc/>
    long SocketWatchdog.IDeadline.Deadline => Volatile.Read(ref _deadline);

    /// <summary>Connects to <paramref name="endPoint"/> within <paramref name="connectTimeout"/>.</summary>
    /// <exception cref="TimeoutException">The connect took too long.</exception>
    /// <exception cref="SocketException">The connect failed.</exception>
    public static async Task<TcpConnection> ConnectAsync(
        EndPoint endPoint,
        TimeSpan connectTimeout,
        TimeSpan operationTimeout,
        CancellationToken cancellationToken,
        IPAddress? localAddress = null,
        TlsSettings? tls = null)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        // A Unix domain socket (unix:PATH targets) has no Nagle to turn off.
        var socket = endPoint is UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (localAddress is not null)
            {
                socket.Bind(new IPEndPoint(localAddress, 0));
            }

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

            if (tls is not null)
            {
                // The handshake counts as part of the connect, within the same bound.
                var ssl = new System.Net.Security.SslStream(new NetworkStream(socket, ownsSocket: false));
                try
                {
                    await ssl.AuthenticateAsClientAsync(tls.ClientOptions(endPoint is IPEndPoint ip ? ip.Address.ToString() : "localhost"), cts.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    await ssl.DisposeAsync().ConfigureAwait(false);
                    throw new TimeoutException($"TLS handshake with {endPoint} timed out");
                }
                catch
                {
                    await ssl.DisposeAsync().ConfigureAwait(false);
                    throw;
                }

                return new TcpConnection(socket, operationTimeout, cancellationToken, ssl);
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
        Arm();
        try
        {
            if (_tls is not null)
            {
                await _tls.WriteAsync(data).ConfigureAwait(false);
                return;
            }

            while (!data.IsEmpty)
            {
                int sent = await _socket.SendAsync(data, SocketFlags.None).ConfigureAwait(false);
                data = data[sent..];
            }
        }
        catch (Exception ex) when (_timedOut && ex is SocketException or ObjectDisposedException or IOException)
        {
            throw new TimeoutException("send timed out");
        }
        finally
        {
            Disarm();
        }
    }

    /// <summary>Receives what is available (at least one byte); 0 when the peer closed.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> ReceiveAsync(Memory<byte> buffer)
    {
        Arm();
        try
        {
            return _tls is not null
                ? await _tls.ReadAsync(buffer).ConfigureAwait(false)
                : await _socket.ReceiveAsync(buffer, SocketFlags.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (_timedOut && ex is SocketException or ObjectDisposedException or IOException)
        {
            throw new TimeoutException("receive timed out");
        }
        finally
        {
            Disarm();
        }
    }

    /// <summary>Receives what is available with no timeout other than <paramref name="cancellationToken"/>.</summary>
    public ValueTask<int> ReceiveUntilCancelledAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        _tls is not null ? _tls.ReadAsync(buffer, cancellationToken) : _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);

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
        SocketWatchdog.Remove(this);
        _abort.Dispose();
        _tls?.Dispose();
        _socket.Dispose();
    }

    /// <inheritdoc/>
    void SocketWatchdog.IDeadline.Expire()
    {
        _timedOut = true;
        _socket.Dispose();
    }

    private void Arm() => Volatile.Write(ref _deadline, Environment.TickCount64 + _timeoutMs);

    private void Disarm() => Volatile.Write(ref _deadline, 0);
}
