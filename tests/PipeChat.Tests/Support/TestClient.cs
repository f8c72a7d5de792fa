using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PipeChat.Tests.Support;

/// <summary>A loopback TCP (or Unix socket) client whose every call has a timeout.</summary>
public sealed class TestClient : IDisposable
{
    private static readonly TimeSpan OpTimeout = TimeSpan.FromSeconds(20);

    private TestClient(Socket socket) => Socket = socket;

    public Socket Socket { get; }

    /// <summary>Connects; <paramref name="from"/> binds the client side first (e.g. 127.0.0.2: another client address on loopback).</summary>
    public static async Task<TestClient> ConnectAsync(EndPoint endPoint, int? bufferSize = null, IPAddress? from = null)
    {
        var socket = endPoint is UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (from is not null)
        {
            socket.Bind(new IPEndPoint(from, 0));
        }

        if (bufferSize is { } size)
        {
            socket.ReceiveBufferSize = size;
            socket.SendBufferSize = size;
        }

        using var timeout = new CancellationTokenSource(OpTimeout);
        await socket.ConnectAsync(endPoint, timeout.Token);
        return new TestClient(socket);
    }

    public async Task SendAsync(ReadOnlyMemory<byte> data)
    {
        using var timeout = new CancellationTokenSource(OpTimeout);
        while (!data.IsEmpty)
        {
            var sent = await Socket.SendAsync(data, SocketFlags.None, timeout.Token);
            data = data[sent..];
        }
    }

    public Task SendAsync(string text) => SendAsync(Encoding.UTF8.GetBytes(text));

    public async Task<byte[]> ReceiveExactlyAsync(int length)
    {
        var buffer = new byte[length];
        using var timeout = new CancellationTokenSource(OpTimeout);
        var received = 0;
        while (received < length)
        {
            var count = await Socket.ReceiveAsync(buffer.AsMemory(received), SocketFlags.None, timeout.Token);
            if (count == 0)
            {
                throw new EndOfStreamException($"EOF after {received} of {length} bytes");
            }

            received += count;
        }

        return buffer;
    }

    /// <summary>Reads until the server closes; throws on timeout.</summary>
    public async Task<byte[]> ReceiveToEndAsync(int limit = 64 * 1024 * 1024)
    {
        using var all = new MemoryStream();
        var buffer = new byte[64 * 1024];
        using var timeout = new CancellationTokenSource(OpTimeout);
        while (true)
        {
            var count = await Socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            if (count == 0)
            {
                return all.ToArray();
            }

            all.Write(buffer, 0, count);
            if (all.Length > limit)
            {
                throw new InvalidOperationException("more data than expected");
            }
        }
    }

    /// <summary>True when the server closed (EOF or reset) within the timeout.</summary>
    public async Task<bool> IsClosedByServerAsync()
    {
        var buffer = new byte[1024];
        using var timeout = new CancellationTokenSource(OpTimeout);
        try
        {
            while (true)
            {
                if (await Socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token) == 0)
                {
                    return true;
                }
            }
        }
        catch (SocketException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public void Reset()
    {
        Socket.LingerState = new LingerOption(true, 0);
        Socket.Close();
    }

    public void Dispose() => Socket.Dispose();
}
