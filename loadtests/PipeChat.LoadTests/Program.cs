using PipeChat.LoadTests.Cli;

return await LoadTestCli.RunAsync(args).ConfigureAwait(false);
