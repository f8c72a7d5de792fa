using PipeChat.LoadTests.Harness;

namespace PipeChat.LoadTests.Scenarios;

/// <summary>The built-in scenarios by name.</summary>
public static class ScenarioCatalog
{
    /// <summary>Gets the scenario names.</summary>
    public static IReadOnlyList<string> Names { get; } = ["echo", "echo-inject", "conns", "chat", "udp-echo", "flood", "slowloris", "storm", "soak"];

    /// <summary>Gets the scenarios that can load either protocol (<c>--protocol echo|chat</c>).</summary>
    public static IReadOnlyList<string> EitherProtocol { get; } = ["slowloris", "storm", "soak"];

    /// <summary>Creates the named scenario.</summary>
    /// <exception cref="ArgumentException">Unknown name.</exception>
    public static ScenarioDefinition Create(string name, ScenarioSettings settings) => settings.UnixTarget is not null && name != "echo"
        ? throw new ArgumentException($"scenario '{name}' loads TCP or UDP targets only; unix:PATH targets take the echo scenario", nameof(name))
        : name switch
    {
        "echo" => EchoScenario.Create(settings),
        "echo-inject" => EchoInjectScenario.Create(settings),
        "conns" => ConnsScenario.Create(settings),
        "chat" => ChatScenario.Create(settings),
        "udp-echo" => UdpEchoScenario.Create(settings),
        "flood" => FloodScenario.Create(settings),
        "slowloris" => SlowlorisScenario.Create(settings),
        "storm" => StormScenario.Create(settings),
        "soak" => SoakScenario.Create(settings),
        _ => throw new ArgumentException($"unknown scenario '{name}' (known: {string.Join(", ", Names)})", nameof(name)),
    };

    /// <summary>Gets the server protocol a scenario needs: <c>echo</c>, <c>chat</c>, or <c>echo --udp</c>.</summary>
    public static string ProtocolOf(string name, ScenarioSettings? settings = null) => name switch
    {
        "chat" or "flood" => "chat",
        _ when EitherProtocol.Contains(name) && settings?.IsChat() == true => "chat",
        "udp-echo" => "echo --udp",
        _ => "echo",
    };

    /// <summary>Gets the default target port of a scenario.</summary>
    public static int DefaultPortOf(string name, ScenarioSettings? settings = null) =>
        ProtocolOf(name, settings) == "chat" ? ChatScenario.DefaultPort : EchoScenario.DefaultPort;
}
