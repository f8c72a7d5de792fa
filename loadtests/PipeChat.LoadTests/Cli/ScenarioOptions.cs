using System.CommandLine;
using PipeChat.LoadTests.Harness;
using PipeChat.LoadTests.Scenarios;

namespace PipeChat.LoadTests.Cli;

/// <summary>The options that <c>run</c> and <c>compare</c> share, and how they become settings.</summary>
internal sealed class ScenarioOptions
{
    public Option<string> Scenario { get; } = CreateScenario();

    public Option<TimeSpan> Duration { get; } = OptionParsers.Duration("--duration", TimeSpan.FromSeconds(10), "measured time (conns: hold time)", positive: true);

    public Option<TimeSpan?> WarmUp { get; } = OptionParsers.OptionalDuration("--warmup", "warm-up before measuring (default: echo, echo-inject, udp-echo 2s; chat 1s; conns 0)");

    public Option<TimeSpan> Ramp { get; } = OptionParsers.Duration("--ramp", TimeSpan.Zero, "ramp-up phase before the constant phase");

    public Option<int> Size { get; } = OptionParsers.Positive("--size", 64, "message size in bytes (chat: line length)");

    public Option<int> Depth { get; } = OptionParsers.Positive("--depth", 1, "echo: messages in flight per connection (pipeline depth)");

    public Option<int> Rate { get; } = OptionParsers.NonNegative("--rate", 0, "echo-inject: requests/s in total (default 1000); chat: lines/s per publisher (default 100)");

    public Option<int> Window { get; } = OptionParsers.NonNegative("--window", 0, "chat: publish as fast as possible, at most N lines per publisher not yet read on every node (closed loop; --rate unused); 0: fixed rate");

    public Option<int> Publishers { get; } = OptionParsers.Positive("--publishers", 10, "chat: how many members also publish");

    public Option<bool> StalledMember { get; } = new("--stalled-member") { Description = "chat: add one member that connects and never reads" };

    public Option<bool> NoWelcome { get; } = new("--no-welcome") { Description = "chat: do not wait for '* welcome NAME' (for servers without it, e.g. ncat --chat)" };

    public Option<TimeSpan?> Timeout { get; } = OptionParsers.OptionalDuration("--timeout", "timeout of one socket operation (default 5s; udp-echo: of one datagram, default 1s)", positive: true);

    public Option<TimeSpan> ConnectTimeout { get; } = OptionParsers.Duration("--connect-timeout", TimeSpan.FromSeconds(5), "timeout of one connect", positive: true);

    public Option<int> MaxPendingConnects { get; } = OptionParsers.Positive("--max-pending-connects", 16, "connects in progress at once");

    public Option<string?> Protocol { get; } = CreateChoice("--protocol", ["echo", "chat"], "slowloris, storm, soak: the server protocol, echo or chat (default echo)");

    public Option<string?> FloodKind { get; } = CreateChoice("--flood-kind", ["lines", "nick"], "flood: what the flooder sends, lines or nick (/nick commands) (default lines)");

    public Option<TimeSpan> TrickleInterval { get; } = OptionParsers.Duration("--trickle-interval", TimeSpan.FromMilliseconds(300), "slowloris: each held connection sends one byte this often", positive: true);

    public Option<System.Net.IPAddress?> HeldFrom { get; } = new("--held-from")
    {
        Description = "slowloris: local address the held connections come from, e.g. 127.0.0.2 to stand for one attacking host against --max-connections-per-ip (default: the system's choice)",
        CustomParser = r => System.Net.IPAddress.TryParse(r.Tokens[0].Value, out var a) && System.Net.IPAddress.IsLoopback(a) ? a : Fail(r, "--held-from must be a loopback address such as 127.0.0.2"),
    };

    public Option<TimeSpan> Interval { get; } = OptionParsers.Duration("--interval", TimeSpan.FromSeconds(1), "reporting interval", positive: true);

    public Option<Threshold[]> Thresholds { get; } = OptionParsers.Thresholds();

    public Option<string> Out { get; } = new("--out") { Description = "folder for the Markdown, CSV and HTML reports (default reports)", DefaultValueFactory = _ => "reports" };

    public Option<ProgressMode> Progress { get; } = new("--progress") { Description = "progress on stderr: auto, live, lines, off (default auto)", DefaultValueFactory = _ => ProgressMode.Auto };

    public Option<bool> Tls { get; } = new("--tls") { Description = "echo, echo-inject, chat: speak TLS; verify the server against the system roots (or --tls-ca, or --tls-insecure)" };

    public Option<string?> TlsCa { get; } = new("--tls-ca") { Description = "with --tls: trust the certificates in this PEM file", HelpName = "FILE" };

    public Option<bool> TlsInsecure { get; } = new("--tls-insecure") { Description = "with --tls: do not verify the server's certificate" };

    public Option<long> MaxRequests { get; } = OptionParsers.NonNegativeLong("--max-requests", "end the measured phase after this many requests (0: no limit)");

    public void AddTo(Command command)
    {
        foreach (var option in new Option[]
        {
            Scenario, Duration, WarmUp, Ramp, Size, Depth, Rate, Window, Publishers, StalledMember, NoWelcome, Timeout,
            ConnectTimeout, MaxPendingConnects, Protocol, FloodKind, TrickleInterval, HeldFrom, Interval, Thresholds, Out, Progress, MaxRequests, Tls, TlsCa, TlsInsecure,
        })
        {
            command.Options.Add(option);
        }
    }

    public ScenarioSettings Settings(ParseResult r, int connections)
    {
        string scenario = r.GetValue(Scenario)!;
        return new ScenarioSettings
        {
            Connections = connections,
            Duration = r.GetValue(Duration),
            WarmUp = r.GetValue(WarmUp),
            Ramp = r.GetValue(Ramp),
            MessageSize = r.GetValue(Size),
            PipelineDepth = r.GetValue(Depth),
            Rate = r.GetValue(Rate),
            Window = r.GetValue(Window),
            Publishers = r.GetValue(Publishers),
            StalledMember = r.GetValue(StalledMember),
            ExpectWelcome = !r.GetValue(NoWelcome),
            OperationTimeout = r.GetValue(Timeout) ?? (scenario == "udp-echo" ? UdpEchoScenario.DefaultTimeout : TimeSpan.FromSeconds(5)),
            ConnectTimeout = r.GetValue(ConnectTimeout),
            MaxPendingConnects = r.GetValue(MaxPendingConnects),
            Protocol = r.GetValue(Protocol),
            FloodKind = r.GetValue(FloodKind) ?? "lines",
            TrickleInterval = r.GetValue(TrickleInterval),
            HeldFrom = r.GetValue(HeldFrom),
            Tls = r.GetValue(Tls) || r.GetValue(TlsCa) is not null || r.GetValue(TlsInsecure)
                ? new Sockets.TlsSettings { CaFile = r.GetValue(TlsCa), Insecure = r.GetValue(TlsInsecure) }
                : null,
        };
    }

    public RunOptions RunOptions(ParseResult r) => new()
    {
        ReportingInterval = r.GetValue(Interval),
        Progress = r.GetValue(Progress),
        MaxRequests = r.GetValue(MaxRequests),
    };

    private static System.Net.IPAddress? Fail(System.CommandLine.Parsing.ArgumentResult r, string message)
    {
        r.AddError(message);
        return null;
    }

    private static Option<string?> CreateChoice(string name, string[] allowed, string description)
    {
        var option = new Option<string?>(name) { Description = description };
        option.AcceptOnlyFromAmong(allowed);
        return option;
    }

    private static Option<string> CreateScenario()
    {
        var option = new Option<string>("--scenario")
        {
            Description = $"scenario: {string.Join(", ", ScenarioCatalog.Names)} (default echo)",
            DefaultValueFactory = _ => "echo",
        };
        option.AcceptOnlyFromAmong([.. ScenarioCatalog.Names]);
        return option;
    }
}
