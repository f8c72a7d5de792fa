using PipeChat.LoadTests.Cli;

// Run socket continuations on the runtime's epoll thread instead of hopping to the thread pool:
// the load generator then costs less CPU per request and leaves more of this machine to the server.
// Read once, at the first socket use; an explicit setting in the environment wins.
if (Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") is null)
{
    Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
}

return await LoadTestCli.RunAsync(args).ConfigureAwait(false);
