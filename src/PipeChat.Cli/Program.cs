using System.CommandLine;
using PipeChat.Cli;

return await PipeChatCommandLine.InvokeAsync(args, Console.Out, Console.Error).ConfigureAwait(false);
