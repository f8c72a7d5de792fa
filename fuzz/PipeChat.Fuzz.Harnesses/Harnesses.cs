namespace PipeChat.Fuzz.Harnesses;

/// <summary>The fuzz targets by the names the runner script and the corpus folders use.</summary>
public static class Harnesses
{
    public delegate void Target(ReadOnlySpan<byte> data);

    public static IReadOnlyDictionary<string, Target> All { get; } = new Dictionary<string, Target>
    {
        ["chat"] = ChatHarness.Run,
        ["udp-registry"] = UdpChatRegistryHarness.Run,
        ["echo"] = EchoHarness.Run,
    };
}
