using System.CommandLine;
using PipeChat.Clients;
using PipeChat.Hosting;

namespace PipeChat.Cli;

/// <summary>The `pipechat` command line (docs/options.md); parse errors exit 2 with one line.</summary>
public static class PipeChatCommandLine
{
    public static async Task<int> InvokeAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand("PipeChat: TCP/UDP echo and chat servers in three connection models.");
        foreach (var protocol in ProtocolRegistry.Default.All)
        {
            root.Subcommands.Add(ServerCommand(protocol, stdout, stderr));
        }

        root.Subcommands.Add(ClientCommand(stdout, stderr));

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

    private static Command ServerCommand(ProtocolKind protocol, TextWriter stdout, TextWriter stderr)
    {
        var command = new Command(protocol.Name, protocol.Description);
        var options = new Dictionary<string, Option>();
        foreach (var option in ServerOptions.All.Where(o => o.AppliesTo(protocol)))
        {
            var help = $"{option.DescriptionFor(protocol)} [{option.EnvironmentVariable}]";
            Option symbol = option.IsFlag
                ? new Option<bool>(option.Name) { Description = help }
                : new Option<string>(option.Name) { Description = help, HelpName = HelpName(option.Key) };
            command.Options.Add(symbol);
            options[option.Key] = symbol;
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

                var value = symbol is Option<bool> flag
                    ? (result.GetValue(flag) ? "true" : "false")
                    : result.GetValue((Option<string>)symbol);
                if (string.IsNullOrWhiteSpace(value))
                {
                    // Configuration reads an empty value as unset; given on the command line it is a bad value, not the default.
                    await stderr.WriteLineAsync($"pipechat: empty value for {symbol.Name}").ConfigureAwait(false);
                    return 2;
                }

                values[OptionsResolver.Section + ":" + key] = value;
            }

            return await PipeChatHost.RunAsync(protocol, values, stdout, stderr).ConfigureAwait(false);
        });
        return command;
    }

    private static Command ClientCommand(TextWriter stdout, TextWriter stderr)
    {
        var address = new Argument<string?>("HOST:PORT") { Description = "Server address (default 127.0.0.1 and the protocol's port), or unix:PATH.", Arity = ArgumentArity.ZeroOrOne };
        var udp = new Option<bool>("--udp") { Description = "Use UDP." };
        var (tls, tlsCa, tlsInsecure) = TlsOptions();
        var echo = new Command("echo", "Send each input line to an echo server and print the reply.") { address, udp, tls, tlsCa, tlsInsecure };
        echo.SetAction(async (result, _) =>
        {
            System.Net.EndPoint endPoint;
            ClientTlsOptions? tlsOptions;
            try
            {
                endPoint = ClientEndPoint.ParseServer(result.GetValue(address), ProtocolKind.Echo.DefaultPort);
                tlsOptions = ClientTlsOf(result, address, udp, tls, tlsCa, tlsInsecure);
            }
            catch (UsageException e)
            {
                await stderr.WriteLineAsync($"pipechat: {e.Message}").ConfigureAwait(false);
                return 2;
            }

            return await EchoClient.RunAsync(endPoint, result.GetValue(udp), StandardInput(), stdout, stderr, tlsOptions).ConfigureAwait(false);
        });

        var chatAddress = new Argument<string?>("HOST:PORT") { Description = "Server address (default 127.0.0.1:7000), or unix:PATH.", Arity = ArgumentArity.ZeroOrOne };
        var chatUdp = new Option<bool>("--udp") { Description = "Use UDP chat (#REG first, #DEREG at the end)." };
        var name = new Option<string?>("--name") { Description = "Name to take (/nick NAME, or #REG NAME over UDP)." };
        var (chatTls, chatTlsCa, chatTlsInsecure) = TlsOptions();
        var chat = new Command("chat", "Chat: send input lines, print what arrives.") { chatAddress, chatUdp, name, chatTls, chatTlsCa, chatTlsInsecure };
        chat.SetAction(async (result, _) =>
        {
            System.Net.EndPoint endPoint;
            ClientTlsOptions? tlsOptions;
            try
            {
                endPoint = ClientEndPoint.ParseServer(result.GetValue(chatAddress), ProtocolKind.Chat.DefaultPort);
                tlsOptions = ClientTlsOf(result, chatAddress, chatUdp, chatTls, chatTlsCa, chatTlsInsecure);
            }
            catch (UsageException e)
            {
                await stderr.WriteLineAsync($"pipechat: {e.Message}").ConfigureAwait(false);
                return 2;
            }

            return await ChatClient.RunAsync(endPoint, result.GetValue(chatUdp), result.GetValue(name), StandardInput(), stdout, stderr, tlsOptions).ConfigureAwait(false);
        });

        return new Command("client", "Interactive clients.") { echo, chat };
    }

    private static (Option<bool> Tls, Option<string?> Ca, Option<bool> Insecure) TlsOptions() => (
        new Option<bool>("--tls") { Description = "Speak TLS; verify the server's certificate for HOST against the system roots." },
        new Option<string?>("--tls-ca") { Description = "With --tls: trust the certificates in this PEM file instead of the system roots.", HelpName = "FILE" },
        new Option<bool>("--tls-insecure") { Description = "With --tls: do not verify the server's certificate." });

    /// <summary>The client's TLS settings, or null without --tls; combinations that make no sense are usage errors.</summary>
    private static ClientTlsOptions? ClientTlsOf(ParseResult result, Argument<string?> address, Option<bool> udp, Option<bool> tls, Option<string?> ca, Option<bool> insecure)
    {
        var caFile = result.GetValue(ca);
        var skip = result.GetValue(insecure);
        if (!result.GetValue(tls))
        {
            return caFile is not null || skip ? throw new UsageException($"{(skip ? "--tls-insecure" : "--tls-ca")} needs --tls") : null;
        }

        if (result.GetValue(udp))
        {
            throw new UsageException("--tls applies to TCP only (not with --udp)");
        }

        if (caFile is not null && skip)
        {
            throw new UsageException("--tls-ca and --tls-insecure exclude each other");
        }

        // The certificate is verified for HOST as typed: localhost is a name, not 127.0.0.1.
        return new ClientTlsOptions { CaFile = caFile, Insecure = skip, ServerName = ClientEndPoint.HostName(result.GetValue(address)) };
    }

    /// <summary>
    /// Standard input as a plain byte stream. Not Console.In: on a terminal its reader holds the
    /// console lock while it waits for a key, so a receive loop printing from another thread
    /// blocks until the user presses Enter (and with inline socket completions, so does the
    /// socket engine). Line editing and echo stay with the terminal's own canonical mode.
    /// </summary>
    private static StreamReader StandardInput() => new(Console.OpenStandardInput(), new System.Text.UTF8Encoding(false));

    // MaxConnections → MAX_CONNECTIONS, as the value's placeholder in --help.
    private static string HelpName(string key) =>
        string.Concat(key.Select((c, i) => i > 0 && char.IsUpper(c) ? "_" + c : c.ToString())).ToUpperInvariant();
}
