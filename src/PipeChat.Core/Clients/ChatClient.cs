using System.Net;
using System.Net.Sockets;
using System.Text;
using PipeChat.Hosting;

namespace PipeChat.Clients;

/// <summary>
/// `pipechat client chat` (docs/protocols.md): a receive loop prints what arrives while the input loop
/// sends lines; neither waits for the other. End of input, /quit or the server closing the
/// connection ends it (exit 0); an unreachable server is one line on stderr and exit 1.
/// </summary>
public static class ChatClient
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Runs the chat client: sends lines read from <paramref name="input"/> while a receive loop prints what arrives; returns the exit code (0 normal end, 1 server unreachable).</summary>
    public static Task<int> RunAsync(EndPoint server, bool udp, string? name, TextReader input, TextWriter output, TextWriter error) =>
        RunAsync(server, udp, name, input, output, error, tls: null);

    /// <summary>As above; with <paramref name="tls"/>, over TLS (TCP and Unix sockets; exit 1 also when the handshake fails, 2 for an unreadable CA file).</summary>
    public static async Task<int> RunAsync(EndPoint server, bool udp, string? name, TextReader input, TextWriter output, TextWriter error, ClientTlsOptions? tls)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(error);
        return await ClientConnection.RunAsync(
            server,
            udp,
            tls,
            ConnectTimeout,
            error,
            static address => $"pipechat: cannot reach {address}: timed out",
            (socket, stream, _) => ExchangeAsync(socket, stream, udp, name, input, output)).ConfigureAwait(false);
    }

    private static async Task<int> ExchangeAsync(Socket socket, Stream? stream, bool udp, string? name, TextReader input, TextWriter output)
    {
        var receiving = stream is null ? ReceiveDatagramsAsync(socket, output) : ReceiveLinesAsync(stream, output);
        if (udp)
        {
            await SendAsync(socket, stream, name is null ? "#REG" : $"#REG {name}").ConfigureAwait(false);
        }
        else if (name is not null)
        {
            await SendAsync(socket, stream, $"/nick {name}").ConfigureAwait(false);
        }

        var quit = false;
        while (await NextLineAsync(input, receiving).ConfigureAwait(false) is { } line)
        {
            await SendAsync(socket, stream, line).ConfigureAwait(false);
            if (line.Trim() == (udp ? "#DEREG" : "/quit"))
            {
                quit = true;
                break;
            }
        }

        if (udp)
        {
            if (!quit)
            {
                await SendAsync(socket, stream, "#DEREG").ConfigureAwait(false);
            }
        }
        else if (!quit && !receiving.IsCompleted)
        {
            // End of input: tell the server we are done; it closes after the last lines.
            if (stream is System.Net.Security.SslStream ssl)
            {
                await ssl.ShutdownAsync().ConfigureAwait(false);
            }
            else
            {
                socket.Shutdown(SocketShutdown.Send);
            }
        }

        // Let the last replies ("* bye", "* deregistered") arrive, within a bound.
        await Task.WhenAny(receiving, Task.Delay(CloseTimeout)).ConfigureAwait(false);
        if (receiving.IsCompleted)
        {
            await receiving.ConfigureAwait(false);
        }

        return 0;
    }

    /// <summary>
    /// The next input line, or null at end of input or once the server has ended the session: a
    /// user at a terminal who types nothing is not left waiting after the server went away.
    /// </summary>
    private static async Task<string?> NextLineAsync(TextReader input, Task receiving)
    {
        if (receiving.IsCompleted)
        {
            return null;
        }

        // An abandoned read ends with the process.
        var read = input.ReadLineAsync();
        await Task.WhenAny(read, receiving).ConfigureAwait(false);
        return read.IsCompleted ? await read.ConfigureAwait(false) : null;
    }

    private static async Task SendAsync(Socket socket, Stream? stream, string line)
    {
        if (stream is not null)
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes(line + "\n")).ConfigureAwait(false);
            return;
        }

        var bytes = Encoding.UTF8.GetBytes(line);
        var sent = 0;
        while (sent < bytes.Length)
        {
            sent += await socket.SendAsync(bytes.AsMemory(sent), SocketFlags.None).ConfigureAwait(false);
        }
    }

    private static async Task ReceiveLinesAsync(Stream stream, TextWriter output)
    {
        var buffer = new byte[8192];
        var decoder = Encoding.UTF8.GetDecoder();
        var chars = new char[Encoding.UTF8.GetMaxCharCount(buffer.Length)];
        while (true)
        {
            int count;
            try
            {
                count = await stream.ReadAsync(buffer).ConfigureAwait(false);
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.OperationAborted)
            {
                return;
            }
            catch (IOException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionReset or SocketError.OperationAborted })
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }

            if (count == 0)
            {
                return;
            }

            var length = decoder.GetChars(buffer, 0, count, chars, 0);
            await output.WriteAsync(chars.AsMemory(0, length)).ConfigureAwait(false);
            await output.FlushAsync().ConfigureAwait(false);
        }
    }

    private static async Task ReceiveDatagramsAsync(Socket socket, TextWriter output)
    {
        var buffer = new byte[65_536];
        while (true)
        {
            var count = await socket.ReceiveAsync(buffer, SocketFlags.None).ConfigureAwait(false);
            var text = Encoding.UTF8.GetString(buffer, 0, count).TrimEnd('\n');
            await output.WriteLineAsync(text).ConfigureAwait(false);
            await output.FlushAsync().ConfigureAwait(false);
            if (text == "* deregistered")
            {
                return;
            }
        }
    }
}
