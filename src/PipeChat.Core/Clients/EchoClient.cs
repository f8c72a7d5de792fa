using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PipeChat.Clients;

/// <summary>
/// `pipechat client echo` (docs/protocols.md): sends each input line, prints the reply. Exit 0 at the
/// end of input, 1 with one line on stderr when the server cannot be reached or stops answering.
/// </summary>
public static class EchoClient
{
    /// <summary>How long to wait for a connection or a reply.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public static async Task<int> RunAsync(EndPoint server, bool udp, TextReader input, TextWriter output, TextWriter error)
    {
        if (udp && server is UnixDomainSocketEndPoint)
        {
            await error.WriteLineAsync("pipechat: --udp does not apply to a unix: address").ConfigureAwait(false);
            return 2;
        }

        using var socket = ClientEndPoint.SocketFor(server, udp);
        var address = ClientEndPoint.Describe(server, udp);
        try
        {
            using (var connectTimeout = new CancellationTokenSource(Timeout))
            {
                await socket.ConnectAsync(server, connectTimeout.Token).ConfigureAwait(false);
            }

            var reply = new byte[udp ? 65_536 : 4096];
            while (await input.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                var text = udp ? line : line + "\n";
                var bytes = Encoding.UTF8.GetBytes(text);
                await socket.SendAsync(bytes, SocketFlags.None).ConfigureAwait(false);
                var echoed = udp
                    ? await ReceiveDatagramAsync(socket, reply).ConfigureAwait(false)
                    : await ReceiveExactlyAsync(socket, bytes.Length).ConfigureAwait(false);
                await output.WriteLineAsync(echoed.TrimEnd('\n')).ConfigureAwait(false);
                await output.FlushAsync().ConfigureAwait(false);
            }

            return 0;
        }
        catch (SocketException e)
        {
            await error.WriteLineAsync($"pipechat: cannot reach {address}: {ClientEndPoint.Reason(e, server)}").ConfigureAwait(false);
            return 1;
        }
        catch (OperationCanceledException)
        {
            await error.WriteLineAsync($"pipechat: no answer from {address} within {Timeout.TotalSeconds:0} s").ConfigureAwait(false);
            return 1;
        }
        catch (EndOfStreamException)
        {
            await error.WriteLineAsync($"pipechat: {address} closed the connection").ConfigureAwait(false);
            return 1;
        }
    }

    private static async Task<string> ReceiveDatagramAsync(Socket socket, byte[] buffer)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        var count = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token).ConfigureAwait(false);
        return Encoding.UTF8.GetString(buffer, 0, count);
    }

    private static async Task<string> ReceiveExactlyAsync(Socket socket, int length)
    {
        var buffer = new byte[length];
        using var timeout = new CancellationTokenSource(Timeout);
        var received = 0;
        while (received < length)
        {
            var count = await socket.ReceiveAsync(buffer.AsMemory(received), SocketFlags.None, timeout.Token).ConfigureAwait(false);
            if (count == 0)
            {
                throw new EndOfStreamException();
            }

            received += count;
        }

        return Encoding.UTF8.GetString(buffer);
    }

    internal static string Describe(SocketException e) => e.SocketErrorCode switch
    {
        SocketError.ConnectionRefused => "connection refused",
        SocketError.TimedOut => "timed out",
        SocketError.HostUnreachable or SocketError.NetworkUnreachable => "unreachable",
        SocketError.ConnectionReset => "connection reset",
        _ => e.Message,
    };
}
