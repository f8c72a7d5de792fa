using System.Net;
using System.Net.Sockets;

namespace PipeChat.Clients;

/// <summary>
/// What both clients do alike around their own exchange with the server: refuse --udp with a unix:
/// address, connect (and open TLS) within a timeout, report the failures both report alike (one
/// line on stderr and the exit code), and close.
/// </summary>
internal static class ClientConnection
{
    /// <summary>
    /// Connects to <paramref name="server"/> and runs <paramref name="exchange"/> with the socket, the
    /// stream (null over UDP) and the server's address as messages name it; returns its exit code, or
    /// the failure's: <paramref name="timedOut"/> (given the address) when a timeout cancelled it.
    /// </summary>
    public static async Task<int> RunAsync(
        EndPoint server,
        bool udp,
        ClientTlsOptions? tls,
        TimeSpan connectTimeout,
        TextWriter error,
        Func<string, string> timedOut,
        Func<Socket, Stream?, string, Task<int>> exchange)
    {
        if (udp && server is UnixDomainSocketEndPoint)
        {
            await error.WriteLineAsync("pipechat: --udp does not apply to a unix: address").ConfigureAwait(false);
            return 2;
        }

        var address = ClientEndPoint.Describe(server, udp, tls is not null);
        Socket? socket = null;
        Stream? stream = null;
        try
        {
            using (var timeout = new CancellationTokenSource(connectTimeout))
            {
                socket = await ClientEndPoint.ConnectAsync(server, udp, timeout.Token).ConfigureAwait(false);
                stream = udp ? null : await ClientTls.OpenAsync(socket, tls, tls?.ServerName ?? ClientEndPoint.TlsHost(server), timeout.Token).ConfigureAwait(false);
            }

            return await exchange(socket, stream, address).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await error.WriteLineAsync(timedOut(address)).ConfigureAwait(false);
            return 1;
        }
        catch (Exception e) when (ClientFailure.TryDescribe(e, address, server, out var line, out var exitCode))
        {
            await error.WriteLineAsync(line).ConfigureAwait(false);
            return exitCode;
        }
        finally
        {
            if (stream is not null)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }

            socket?.Dispose();
        }
    }
}
