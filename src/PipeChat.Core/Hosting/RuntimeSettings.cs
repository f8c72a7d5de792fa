namespace PipeChat.Hosting;

/// <summary>The runtime settings the <c>pipechat</c> command applies, applied for library servers too (docs/library.md).</summary>
public static class RuntimeSettings
{
    /// <summary>The runtime's switch for running socket completions on its epoll threads.</summary>
    public const string InlineCompletionsVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>
    /// Socket completions run inline on the runtime's epoll threads instead of hopping to the thread pool:
    /// the async transport never blocks in a completion, and it measured 1.2-1.5x the echo throughput at
    /// lower CPU (docs/measurements.md). The runtime reads the variable at its first socket operation, so
    /// this works only before any socket is used in the process; a value already in the environment wins.
    /// </summary>
    public static void ApplyInlineCompletions()
    {
        if (Environment.GetEnvironmentVariable(InlineCompletionsVariable) is null)
        {
            Environment.SetEnvironmentVariable(InlineCompletionsVariable, "1");
        }
    }
}
