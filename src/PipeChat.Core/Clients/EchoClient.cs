using System.Net;
using System.Net.Sockets;
using System.Text;
using PipeChat.Hosting;

namespace PipeChat.Clients;

/// <summary>
/// `pipechat client echo` (docs/protocols.md): sends each input line, prints the reply. Exit 0 at the
/// end of input, 1 with one line on stderr when the server cannot be reached or stops answering.
/// </summary>
public static class EchoClient
{
    /// <summary>How long to wait for a connection or a reply.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>Runs the echo client: sends each input line and prints the reply; returns the exit code (0 normal end, 1 server unreachable).</summary>
    public static Task<int> RunAsync(EndPoint server, bool udp, TextReader input, TextWriter output, TextWriter error) =>
        RunAsync(server, udp, input, output, error, tls: null);

    /// <summary>As above; with <paramref name="tls"/>, over TLS (TCP and Unix sockets; exit 1 also when the handshake fails, 2 for an unreadable CA file).</summary>
    public static async Task<int> RunAsync(EndPoint server, bool udp, TextReader input, TextWriter output, TextWriter error, ClientTlsOptions? tls)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(error);
        return await ClientConnection.RunAsync(
            server,
            udp,
            tls,
            Timeout,
            error,
            static address => $"pipechat: no answer from {address} within {Timeout.TotalSeconds:0} s",
            (socket, stream, address) => ExchangeAsync(socket, stream, address, udp, input, output, error)).ConfigureAwait(false);
    }

    private static async Task<int> ExchangeAsync(Socket socket, Stream? stream, string address, bool udp, TextReader input, TextWriter output, TextWriter error)
    {
        try
        {
            var reply = new byte[udp ? 65_536 : 4096];
            while (await input.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                var text = udp ? line : line + "\n";
                var bytes = Encoding.UTF8.GetBytes(text);
                string echoed;
                if (stream is null)
                {
                    await socket.SendAsync(bytes, SocketFlags.None).ConfigureAwait(false);
                    echoed = await ReceiveDatagramAsync(socket, reply).ConfigureAwait(false);
                }
                else
                {
                    await stream.WriteAsync(bytes).ConfigureAwait(false);
                    echoed = await ReceiveExactlyAsync(stream, bytes.Length).ConfigureAwait(false);
                }

                await output.WriteLineAsync(echoed.TrimEnd('\n')).ConfigureAwait(false);
                await output.FlushAsync().ConfigureAwait(false);
            }

            return 0;
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

    private static async Task<string> ReceiveExactlyAsync(Stream stream, int length)
    {
        var buffer = new byte[length];
        using var timeout = new CancellationTokenSource(Timeout);
        var received = 0;
        while (received < length)
        {
            var count = await stream.ReadAsync(buffer.AsMemory(received), timeout.Token).ConfigureAwait(false);
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
        SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => "host name not found",
        _ => e.Message,
    };
}
