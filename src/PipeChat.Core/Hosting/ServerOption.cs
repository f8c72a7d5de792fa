namespace PipeChat.Hosting;

/// <summary>
/// One server option (docs/options.md): its command-line name, its configuration key (the
/// <c>PipeChat</c> section of appsettings.json, and <see cref="EnvironmentVariable"/>), which
/// command it belongs to, and when it does not apply to an otherwise valid run.
/// </summary>
/// <param name="Name">Command-line name, e.g. <c>--max-line</c>.</param>
/// <param name="Key">Configuration key, e.g. <c>MaxLine</c>.</param>
/// <param name="Description">What <c>--help</c> says, default included.</param>
/// <param name="Protocols">The server commands (protocols, by name) that take it; null: every one.</param>
/// <param name="NotApplicable">Given the resolved options, why this option does not apply, or null when it does.</param>
public sealed record ServerOption(
    string Name,
    string Key,
    string Description,
    IReadOnlySet<string>? Protocols,
    Func<PipeChatOptions, string?>? NotApplicable = null)
{
    /// <summary>PIPECHAT_ and the name in upper case with '-' as '_': --max-line → PIPECHAT_MAX_LINE.</summary>
    public string EnvironmentVariable => "PIPECHAT_" + Name[2..].Replace('-', '_').ToUpperInvariant();

    /// <summary>Whether the command of <paramref name="protocol"/> takes this option.</summary>
    public bool AppliesTo(ProtocolKind protocol) =>
        (Protocols?.Contains(protocol.Name) ?? true) && (!NeedsDatagram || protocol.CreateDatagram is not null);

    /// <summary>Whether the option only makes sense for a protocol with a UDP form (<c>--udp</c>).</summary>
    public bool NeedsDatagram { get; init; }

    /// <summary>Help text that depends on the command (e.g. its default port); null: <see cref="Description"/>.</summary>
    public Func<ProtocolKind, string>? DescribeFor { get; init; }

    /// <summary>The help text for <paramref name="protocol"/>'s command.</summary>
    public string DescriptionFor(ProtocolKind protocol) => DescribeFor?.Invoke(protocol) ?? Description;

    /// <summary>Whether the option takes no value (a switch such as <c>--udp</c>).</summary>
    public bool IsFlag { get; init; }
}
