using System.Net.Sockets;
using System.Security.Authentication;
using PipeChat.Transport;

namespace PipeChat.Servers;

/// <summary>
/// The "full" reply (chat: "! server full") to a connection over a cap when connection layers (TLS)
/// run: plain text would be garbage to the client, so it gets its handshake, the reply inside the
/// layers, then close_notify and EOF, on a task of its own (never the accept loop's). Bounded: while
/// <see cref="MaxInFlight"/> refusals are under way, further ones are just closed, so clients beyond
/// the caps hold at most that many handshakes (each bounded by the layer's own timeout).
/// </summary>
internal sealed class LayeredRefusal(ConnectionLayers layers, byte[] reply)
{
    /// <summary>Refusals answered at once, at most.</summary>
    public const int MaxInFlight = 64;

    private int _inFlight;

    /// <summary>Takes <paramref name="socket"/> over and answers it in the background; false (the socket untouched) when too many are under way.</summary>
    public bool TryStart(Socket socket)
    {
        if (Interlocked.Increment(ref _inFlight) > MaxInFlight)
        {
            Interlocked.Decrement(ref _inFlight);
            return false;
        }

        _ = Task.Run(() => RefuseAsync(socket));
        return true;
    }

    private async Task RefuseAsync(Socket socket)
    {
        var opened = new Stream[layers.All.Count];
        var count = 0;
        try
        {
            Stream current = new NetworkStream(socket, ownsSocket: false);
            for (; count < opened.Length; count++)
            {
                current = await layers.All[count].OpenAsync(current, CancellationToken.None).ConfigureAwait(false);
                opened[count] = current;
            }

            await current.WriteAsync(reply).ConfigureAwait(false);
            await current.FlushAsync().ConfigureAwait(false);
            for (var i = count - 1; i >= 0; i--)
            {
                await layers.All[i].CloseAsync(opened[i]).ConfigureAwait(false);
            }

            socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is IOException or SocketException or ConnectionLayerException or AuthenticationException or ObjectDisposedException or OperationCanceledException)
        {
            // Gone, or no handshake (counted and logged by the layer): nothing more to tell it.
        }
        finally
        {
            for (var i = count - 1; i >= 0; i--)
            {
                await opened[i].DisposeAsync().ConfigureAwait(false);
            }

            socket.Dispose();
            Interlocked.Decrement(ref _inFlight);
        }
    }
}
