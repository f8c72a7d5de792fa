using System.CommandLine;
using PipeChat.Clients;
using PipeChat.Hosting;

namespace PipeChat.Cli;

/// <summary>The `pipechat` command line (SPEC §2); parse errors exit 2 with one line.</summary>
public static class PipeChatCommandLine
{
    public static async Task<int> InvokeAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand("PipeChat: TCP/UDP echo and chat servers in three connection models.")
        {
            ServerCommand(ProtocolKind.Echo, "Echo every byte back (TCP) or every datagram (UDP).", stdout, stderr),
            ServerCommand(ProtocolKind.Chat, "Line-based chat with rooms (TCP) or #REG/#DEREG relay (UDP).", stdout, stderr),
            ClientCommand(stdout, stderr),
        };

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            // One line: the most specific error (an unknown word beats "command missing").
            var error = parsed.Errors.FirstOrDefault(e => e.Message.Contains('\'', StringComparison.Ordinal)) ?? parsed.Errors[0];
            await stderr.WriteLineAsync($"pipechat: {error.Message} (see pipechat --help)").ConfigureAwait(false);
            return 2;
        }

        // The host handles SIGINT/SIGTERM itself (graceful drain), so System.CommandLine must not.
        return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null, Output = stdout, Error = stderr }).ConfigureAwait(false);
    }

    private static Command ServerCommand(ProtocolKind protocol, string description, TextWriter stdout, TextWriter stderr)
    {
        var name = protocol.ToString().ToLowerInvariant();
        var command = new Command(name, description);
        var options = new Dictionary<string, Option>();
        foreach (var (option, key) in OptionsResolver.Keys)
        {
            Option symbol = option == "--udp"
                ? new Option<bool>(option) { Description = "Serve UDP instead of TCP." }
                : new Option<string>(option) { Description = Describe(option, protocol), HelpName = key.ToUpperInvariant() };
            command.Options.Add(symbol);
            options[key] = symbol;
        }

        command.SetAction(async (result, _) =>
        {
            var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            foreach (var (key, symbol) in options)
            {
                var given = result.GetResult(symbol);
                if (given is null || given.Implicit)
                {
                    continue;
                }

                values[OptionsResolver.Section + ":" + key] = symbol is Option<bool> flag
                    ? (result.GetValue(flag) ? "true" : "false")
                    : result.GetValue((Option<string>)symbol);
            }

            return await PipeChatHost.RunAsync(protocol, values, stdout, stderr).ConfigureAwait(false);
        });
        return command;
    }

    private static Command ClientCommand(TextWriter stdout, TextWriter stderr)
    {
        var address = new Argument<string?>("HOST:PORT") { Description = "Server address (default 127.0.0.1 and the protocol's port).", Arity = ArgumentArity.ZeroOrOne };
        var udp = new Option<bool>("--udp") { Description = "Use UDP." };
        var echo = new Command("echo", "Send each input line to an echo server and print the reply.") { address, udp };
        echo.SetAction(async (result, _) =>
        {
            System.Net.IPEndPoint endPoint;
            try
            {
                endPoint = ClientEndPoint.Parse(result.GetValue(address), PipeChatOptions.DefaultPort(ProtocolKind.Echo));
            }
            catch (UsageException e)
            {
                await stderr.WriteLineAsync($"pipechat: {e.Message}").ConfigureAwait(false);
                return 2;
            }

            return await EchoClient.RunAsync(endPoint, result.GetValue(udp), Console.In, stdout, stderr).ConfigureAwait(false);
        });

        var chatAddress = new Argument<string?>("HOST:PORT") { Description = "Server address (default 127.0.0.1:7000).", Arity = ArgumentArity.ZeroOrOne };
        var chatUdp = new Option<bool>("--udp") { Description = "Use UDP chat (#REG first, #DEREG at the end)." };
        var name = new Option<string?>("--name") { Description = "Name to take (/nick NAME, or #REG NAME over UDP)." };
        var chat = new Command("chat", "Chat: send input lines, print what arrives.") { chatAddress, chatUdp, name };
        chat.SetAction(async (result, _) =>
        {
            System.Net.IPEndPoint endPoint;
            try
            {
                endPoint = ClientEndPoint.Parse(result.GetValue(chatAddress), PipeChatOptions.DefaultPort(ProtocolKind.Chat));
            }
            catch (UsageException e)
            {
                await stderr.WriteLineAsync($"pipechat: {e.Message}").ConfigureAwait(false);
                return 2;
            }

            return await ChatClient.RunAsync(endPoint, result.GetValue(chatUdp), result.GetValue(name), Console.In, stdout, stderr).ConfigureAwait(false);
        });

        return new Command("client", "Interactive clients.") { echo, chat };
    }

    private static string Describe(string option, ProtocolKind protocol) => option switch
    {
        "--host" => "Address to bind (default 127.0.0.1; 0.0.0.0 or :: to expose).",
        "--port" => $"Port (default {PipeChatOptions.DefaultPort(protocol)}; 0 lets the OS pick).",
        "--model" => protocol == ProtocolKind.Echo ? "async (default), threads or iterative." : "async (default) or threads.",
        "--max-connections" => "TCP connections (UDP chat: registrations) held at once (default 10000).",
        "--max-line" => "Chat: longest line in bytes, newline excluded (default 4096).",
        "--idle-timeout" => "Seconds of silence before a member is dropped (chat TCP 0 = off, UDP chat 600).",
        "--shutdown-timeout" => "Seconds to drain on SIGINT/SIGTERM; 0 aborts at once (default 5).",
        "--log-level" => "trace, debug, information (default), warning or error.",
        "--io" => "Async model: socket I/O, auto (default: epoll on Linux), epoll or saea (SocketAsyncEventArgs).",
        "--max-pending-output" => "Chat: bytes queued for one member before it is cut off as too slow (default 1048576).",
        "--wake-coalescing-ms" => "Chat: shortest time between wake-ups of a busy room's readers: auto (default: 10 µs per member, none under 0.5 ms), MS, or 0 (off).",
        "--max-line-rate" => "Chat: lines per member per second, bursts up to as many; 0 = unlimited (default 100; UDP chat: datagrams per address, the rest dropped).",
        _ => option,
    };
}
