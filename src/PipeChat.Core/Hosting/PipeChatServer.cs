using PipeChat.Diagnostics;
using PipeChat.Protocols;

namespace PipeChat.Hosting;

/// <summary>
/// Serves any stream protocol the way the <c>pipechat</c> command serves echo and chat: options from
/// appsettings.json, <c>--config</c>, <c>PIPECHAT_*</c> variables and the command line (docs/options.md),
/// every connection model, the ready line, limits, metrics, and a graceful drain on SIGINT/SIGTERM.
/// </summary>
/// <example><code>return await PipeChatServer.Create(new ReverseProtocol()).WithDefaultPort(7100).RunAsync(args);</code></example>
public sealed class PipeChatServer
{
    private readonly IStreamProtocol _protocol;
    private string _description;
    private int _defaultPort = 7000;
    private readonly List<ProtocolCounter> _counters = [];

    private PipeChatServer(IStreamProtocol protocol)
    {
        _protocol = protocol;
        _description = $"The {protocol.Name} protocol.";
    }

    /// <summary>A server for <paramref name="protocol"/>, named after <see cref="IStreamProtocol.Name"/>.</summary>
    public static PipeChatServer Create(IStreamProtocol protocol)
    {
        ArgumentNullException.ThrowIfNull(protocol);
        return new PipeChatServer(protocol);
    }

    /// <summary>Serves <paramref name="protocol"/> with <paramref name="args"/>; returns the exit code (0 graceful, 1 runtime failure, 2 usage).</summary>
    public static Task<int> RunAsync(string[] args, IStreamProtocol protocol, int defaultPort = 7000) =>
        Create(protocol).WithDefaultPort(defaultPort).RunAsync(args);

    /// <summary>The port when neither <c>--port</c> nor a setting gives one (default 7000).</summary>
    public PipeChatServer WithDefaultPort(int port)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        _defaultPort = port;
        return this;
    }

    /// <summary>The first line of <c>--help</c>.</summary>
    public PipeChatServer WithDescription(string description)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(description);
        _description = description;
        return this;
    }

    /// <summary>Publishes a count the protocol keeps with the server's metrics (the meter and <c>/metrics</c>).</summary>
    public PipeChatServer WithCounter(ProtocolCounter counter)
    {
        ArgumentNullException.ThrowIfNull(counter);
        _counters.Add(counter);
        return this;
    }

    /// <summary>The protocol as the host and the registries know it.</summary>
    public ProtocolKind ToProtocolKind()
    {
        var service = new StreamService(_protocol, [.. _counters]);
        return new ProtocolKind(_protocol.Name, _description, _defaultPort, (_, _) => service);
    }

    /// <summary>Runs until SIGINT/SIGTERM; the ready line goes to standard output, logs to standard error.</summary>
    public Task<int> RunAsync(string[] args) => RunAsync(args, Console.Out, Console.Error);

    /// <summary>Runs until SIGINT/SIGTERM, with the ready line to <paramref name="stdout"/> and errors to <paramref name="stderr"/>.</summary>
    public async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        RuntimeSettings.ApplyInlineCompletions();
        var kind = ToProtocolKind();
        if (args.Contains("--help") || args.Contains("-h"))
        {
            await stdout.WriteLineAsync(ServerArguments.Help(kind)).ConfigureAwait(false);
            return 0;
        }

        Dictionary<string, string?> commandLine;
        try
        {
            commandLine = ServerArguments.Parse(args, kind);
        }
        catch (UsageException e)
        {
            await stderr.WriteLineAsync($"{kind.Name}: {e.Message}").ConfigureAwait(false);
            return 2;
        }

        return await PipeChatHost.RunAsync(kind, commandLine, stdout, stderr, program: kind.Name).ConfigureAwait(false);
    }
}
