using System.Diagnostics;
using PipeChat.Tests.Support;

namespace PipeChat.Tests.Hosting;

/// <summary>`dotnet pack` + `dotnet tool install` gives a working `pipechat`, as the README promises.</summary>
public class DotnetToolTests
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task Packed_tool_installs_into_a_tool_path_and_serves_echo()
    {
        var root = RepositoryRoot();
        var work = Directory.CreateTempSubdirectory("pipechat-tool-");
        try
        {
            var nupkg = Path.Combine(work.FullName, "nupkg");
            var tools = Path.Combine(work.FullName, "tools");
            await RunAsync("dotnet", $"pack \"{Path.Combine(root, "src", "PipeChat.Cli")}\" -c Release -o \"{nupkg}\"");
            Assert.Single(Directory.GetFiles(nupkg, "pipechat.*.nupkg"));
            await RunAsync("dotnet", $"tool install --tool-path \"{tools}\" --add-source \"{nupkg}\" pipechat");

            var executable = Path.Combine(tools, "pipechat");
            Assert.True(File.Exists(executable), "the tool shim is installed");
            var help = await RunAsync(executable, "--help");
            Assert.Contains("echo", help, StringComparison.Ordinal);
            Assert.Contains("chat", help, StringComparison.Ordinal);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "PipeChat.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("PipeChat.sln not found above the test folder");
    }

    private static async Task<string> RunAsync(string file, string arguments)
    {
        var info = new ProcessStartInfo(file, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(StepTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {arguments} did not finish");
        }

        var output = await stdout + await stderr;
        Assert.True(process.ExitCode == 0, $"{file} {arguments} exited {process.ExitCode}: {output}");
        return output;
    }
}
