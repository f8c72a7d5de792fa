using System.CommandLine;

namespace PipeChat.LoadTests.Cli;

/// <summary>The command line: <c>run</c> and <c>compare</c>. Exit codes: 0 ok, 1 failure or broken threshold, 2 usage error.</summary>
public static class LoadTestCli
{
    /// <summary>Builds the root command.</summary>
    public static RootCommand Build(TextWriter? stdout = null, TextWriter? stderr = null)
    {
        stdout ??= Console.Out;
        stderr ??= Console.Error;
        var root = new RootCommand("PipeChat load tests: NBomber-style scenarios against echo and chat servers on loopback.");
        root.Subcommands.Add(RunCommand.Create(stdout, stderr));
        root.Subcommands.Add(CompareCommand.Create(stdout, stderr));
        return root;
    }

    /// <summary>Parses and runs; parse errors print a message and return 2.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter? stdout = null, TextWriter? stderr = null, CancellationToken cancellationToken = default)
    {
        stdout ??= Console.Out;
        stderr ??= Console.Error;
        var parsed = Build(stdout, stderr).Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                await stderr.WriteLineAsync("error: " + error.Message).ConfigureAwait(false);
            }

            await stderr.WriteLineAsync("see --help").ConfigureAwait(false);
            return 2;
        }

        var config = new InvocationConfiguration { Output = stdout, Error = stderr };
        return await parsed.InvokeAsync(config, cancellationToken).ConfigureAwait(false);
    }
}
