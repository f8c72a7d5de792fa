using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace PipeChat.LoadTests.Sockets;

/// <summary>
/// A connected UDP socket whose every send and receive has a timeout (enforced by
/// <see cref="SocketWatchdog"/>, like <see cref="TcpConnection"/>). A timeout closes the socket.
/// </summary>
public sealed class UdpConnection : IDisposable, SocketWatchdog.IDeadline
{
    private readonly Socket _socket;
    private readonly CancellationTokenRegistration _abort;
    private long _deadline;
    private volatile bool _timedOut;

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

        Timeout = timeout;
        _abort = cancellationToken.UnsafeRegister(static s => ((Socket)s!).Dispose(), _socket);
        SocketWatchdog.Add(this);
    }

    /// <summary>Gets the timeout of one send.</summary>
    public TimeSpan Timeout { get; }

    /// <inheritdoc/>
    long SocketWatchdog.IDeadline.Deadline => Volatile.Read(ref _deadline);

    /// <summary>Sends one datagram.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask SendAsync(ReadOnlyMemory<byte> datagram)
    {
        Arm(Timeout);
        try
        {
            await _socket.SendAsync(datagram, SocketFlags.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (_timedOut && ex is SocketException or ObjectDisposedException)
        {
            throw new TimeoutException("send timed out");
        }
        finally
        {
            Disarm();
        }
    }

    /// <summary>Receives one datagram, waiting at most <paramref name="timeout"/>.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> ReceiveAsync(Memory<byte> buffer, TimeSpan timeout)
    {
        Arm(timeout);
        try
        {
            return await _socket.ReceiveAsync(buffer, SocketFlags.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (_timedOut && ex is SocketException or ObjectDisposedException)
        {
            throw new TimeoutException("no reply within the timeout");
        }
        finally
        {
            Disarm();
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        SocketWatchdog.Remove(this);
        _abort.Dispose();
        _socket.Dispose();
    }

    /// <inheritdoc/>
    void SocketWatchdog.IDeadline.Expire()
    {
        _timedOut = true;
        _socket.Dispose();
    }

    private void Arm(TimeSpan timeout) => Volatile.Write(ref _deadline, Environment.TickCount64 + Math.Max(1, (long)timeout.TotalMilliseconds));

    private void Disarm() => Volatile.Write(ref _deadline, 0);
}
