using System.Diagnostics;

namespace PipeChat.Tests.Support;

/// <summary>Runs a program to its end within a bound and fails the test, with its output, unless it exits 0.</summary>
public static class ToolRun
{
    /// <summary>Returns standard output followed by standard error.</summary>
    public static async Task<string> RunAsync(string file, IEnumerable<string> arguments, TimeSpan timeout, string? directory = null)
    {
        var info = new ProcessStartInfo(file, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (directory is not null)
        {
            info.WorkingDirectory = directory;
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        var command = $"{file} {string.Join(' ', info.ArgumentList)}";
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{command} took over {timeout}");
        }

        var output = await stdout + await stderr;
        Assert.True(process.ExitCode == 0, $"{command} exited {process.ExitCode}:\n{output}");
        return output;
    }
}
