namespace PipeChat.Hosting;

/// <summary>
/// One server option (SPEC §2): its command-line name, its configuration key (the
/// <c>PipeChat</c> section of appsettings.json, and <see cref="EnvironmentVariable"/>), which
/// command it belongs to, and when it does not apply to an otherwise valid run.
/// </summary>
/// <param name="Name">Command-line name, e.g. <c>--max-line</c>.</param>
/// <param name="Key">Configuration key, e.g. <c>MaxLine</c>.</param>
/// <param name="Description">What <c>--help</c> says, default included.</param>
/// <param name="Commands">The server commands that take it.</param>
/// <param name="NotApplicable">Given the resolved options, why this option does not apply, or null when it does.</param>
public sealed record ServerOption(
    string Name,
    string Key,
    string Description,
    IReadOnlySet<ProtocolKind> Commands,
    Func<PipeChatOptions, string?>? NotApplicable = null)
{
    /// <summary>PIPECHAT_ and the name in upper case with '-' as '_': --max-line → PIPECHAT_MAX_LINE.</summary>
    public string EnvironmentVariable => "PIPECHAT_" + Name[2..].Replace('-', '_').ToUpperInvariant();

    /// <summary>Whether the option takes no value (a switch such as <c>--udp</c>).</summary>
    public bool IsFlag { get; init; }
}
