using PipeChat.LoadTests.Harness;
using PipeChat.LoadTests.Scenarios;

namespace PipeChat.LoadTests.Compare;

/// <summary>What a <c>compare</c> runs.</summary>
public sealed record CompareOptions
{
    /// <summary>The default server command; <c>{repo}</c>, <c>{protocol}</c>, <c>{model}</c>, <c>{port}</c> are filled in.</summary>
    public const string DefaultServerCommand = "dotnet {repo}/src/PipeChat.Cli/bin/Release/net10.0/pipechat.dll {protocol} --model {model} --port {port}";

    /// <summary>Gets the scenario name.</summary>
    public required string Scenario { get; init; }

    /// <summary>Gets the connection models to compare.</summary>
    public required IReadOnlyList<string> Models { get; init; }

    /// <summary>Gets the connection counts (for chat: members).</summary>
    public required IReadOnlyList<int> Connections { get; init; }

    /// <summary>Gets the scenario settings; Target and Connections are set per run.</summary>
    public required ScenarioSettings Settings { get; init; }

    /// <summary>
    /// Gets how many rounds run every cell (<see cref="CompareRounds.MinRounds"/> to
    /// <see cref="CompareRounds.MaxRounds"/>): each round on fresh servers, the model order rotated
    /// by one per round; a cell reports its median round (see <see cref="CompareRounds"/>).
    /// </summary>
    public int Rounds { get; init; } = 1;

    /// <summary>Gets the server command template.</summary>
    public string ServerCommand { get; init; } = DefaultServerCommand;

    /// <summary>Gets extra server options appended to every server command (e.g. <c>--max-connections 200</c>).</summary>
    public string ServerArgs { get; init; } = string.Empty;

    /// <summary>
    /// Gets whether every started server listens on a Unix domain socket (echo only): each gets a
    /// socket path of its own in a temporary folder, given by <c>{unix}</c> in the command, or in
    /// place of <c>--port {port}</c> as <c>--unix PATH</c>.
    /// </summary>
    public bool UnixSockets { get; init; }

    /// <summary>Gets the node counts to compare (chat): 1 is a lone server, N &gt; 1 a cluster of N servers over <see cref="NatsUrl"/>.</summary>
    public IReadOnlyList<int> Nodes { get; init; } = [1];

    /// <summary>Gets the NATS server the clusters of <see cref="Nodes"/> join (<c>--cluster</c>); needed when a count is over 1.</summary>
    public string? NatsUrl { get; init; }

    /// <summary>Gets the repository root (for <c>{repo}</c>) and the servers' working directory.</summary>
    public required string RepositoryRoot { get; init; }

    /// <summary>Gets where server logs go (null: nowhere).</summary>
    public string? LogDirectory { get; init; }

    /// <summary>Gets how long a server may take to print its listening line.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets how long a server may take to exit after SIGTERM before it is killed.</summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Gets the /proc sampling interval.</summary>
    public TimeSpan SampleInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Gets the thresholds checked for every run.</summary>
    public IReadOnlyList<Threshold> Thresholds { get; init; } = [];

    /// <summary>Gets the harness options for every run.</summary>
    public RunOptions RunOptions { get; init; } = new();

    /// <summary>Gets where progress lines go.</summary>
    public TextWriter Log { get; init; } = Console.Error;

    /// <summary>Fills in a command template.</summary>
    public static string Expand(string template, string repo, string protocol, string model, int port = 0)
    {
        ArgumentNullException.ThrowIfNull(template);
        return template
            .Replace("{repo}", repo, StringComparison.Ordinal)
            .Replace("{protocol}", protocol, StringComparison.Ordinal)
            .Replace("{model}", model, StringComparison.Ordinal)
            .Replace("{port}", port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    /// <summary>
    /// Makes a command listen on the Unix socket <paramref name="path"/>: <c>{unix}</c> becomes the
    /// path, or else <c>--port {port}</c> becomes <c>--unix PATH</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The template has neither.</exception>
    public static string WithUnixSocket(string template, string path)
    {
        ArgumentNullException.ThrowIfNull(template);
        return template.Contains("{unix}", StringComparison.Ordinal) ? template.Replace("{unix}", path, StringComparison.Ordinal)
            : template.Contains("--port {port}", StringComparison.Ordinal) ? template.Replace("--port {port}", "--unix " + path, StringComparison.Ordinal)
            : throw new ArgumentException("with --unix the server command needs {unix} (the socket path) or --port {port} (replaced by --unix PATH)", nameof(template));
    }

    /// <summary>Finds the repository root: the nearest folder up from <paramref name="start"/> holding PipeChat.sln.</summary>
    public static string? FindRepositoryRoot(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PipeChat.sln")))
            {
                return dir.FullName;
            }
        }

        return null;
    }
}
