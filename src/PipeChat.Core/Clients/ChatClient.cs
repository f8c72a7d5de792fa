using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PipeChat.Clients;

/// <summary>
/// `pipechat client chat` (docs/protocols.md): a receive loop prints what arrives while the input loop
/// sends lines; neither waits for the other. End of input or /quit ends it (exit 0); an
/// unreachable server is one line on stderr and exit 1.
/// </summary>
public static class ChatClient
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(5);

    public static async Task<int> RunAsync(EndPoint server, bool udp, string? name, TextReader input, TextWriter output, TextWriter error)
    {
        if (udp && server is UnixDomainSocketEndPoint)
        {
            await error.WriteLineAsync("pipechat: --udp does not apply to a unix: address").ConfigureAwait(false);
            return 2;
        }

        var address = ClientEndPoint.Describe(server, udp);
        using var socket = ClientEndPoint.SocketFor(server, udp);
        try
        {
            using (var timeout = new CancellationTokenSource(ConnectTimeout))
            {
                await socket.ConnectAsync(server, timeout.Token).ConfigureAwait(false);
            }

            var receiving = udp ? ReceiveDatagramsAsync(socket, output) : ReceiveLinesAsync(socket, output);
            if (udp)
            {
                await SendAsync(socket, name is null ? "#REG" : $"#REG {name}", udp).ConfigureAwait(false);
            }
            else if (name is not null)
            {
                await SendAsync(socket, $"/nick {name}", udp).ConfigureAwait(false);
            }

            var quit = false;
            while (!receiving.IsCompleted && await input.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                await SendAsync(socket, line, udp).ConfigureAwait(false);
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
                    await SendAsync(socket, "#DEREG", udp).ConfigureAwait(false);
                }
            }
            else if (!quit && !receiving.IsCompleted)
            {
                // End of input: tell the server we are done; it closes after the last lines.
                socket.Shutdown(SocketShutdown.Send);
            }

            // Let the last replies ("* bye", "* deregistered") arrive, within a bound.
            await Task.WhenAny(receiving, Task.Delay(CloseTimeout)).ConfigureAwait(false);
            if (receiving.IsCompleted)
            {
                await receiving.ConfigureAwait(false);
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
            await error.WriteLineAsync($"pipechat: cannot reach {address}: timed out").ConfigureAwait(false);
            return 1;
        }
    }

    private static async Task SendAsync(Socket socket, string line, bool udp)
    {
        var bytes = Encoding.UTF8.GetBytes(udp ? line : line + "\n");
        var sent = 0;
        while (sent < bytes.Length)
        {
            sent += await socket.SendAsync(bytes.AsMemory(sent), SocketFlags.None).ConfigureAwait(false);
        }
    }

    private static async Task ReceiveLinesAsync(Socket socket, TextWriter output)
    {
        var buffer = new byte[8192];
        var decoder = Encoding.UTF8.GetDecoder();
        var chars = new char[Encoding.UTF8.GetMaxCharCount(buffer.Length)];
        while (true)
        {
            int count;
            try
            {
                count = await socket.ReceiveAsync(buffer, SocketFlags.None).ConfigureAwait(false);
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.OperationAborted)
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
