using PipeChat.Cli;

// Socket completions run inline on the runtime's epoll threads instead of hopping to the thread
// pool: the async transport never blocks in a completion, and echo-compare measured 1.2-1.5x the
// throughput at lower CPU (bench/results). Must be set before the first socket operation;
// an explicit DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS in the environment wins.
const string InlineCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";
if (Environment.GetEnvironmentVariable(InlineCompletions) is null)
{
    Environment.SetEnvironmentVariable(InlineCompletions, "1");
}

return await PipeChatCommandLine.InvokeAsync(args, Console.Out, Console.Error).ConfigureAwait(false);
