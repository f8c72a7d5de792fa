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
            await RunAsync("dotnet", "pack", Path.Combine(root, "src", "PipeChat.Cli"), "-c", "Release", "-o", nupkg);
            Assert.Single(Directory.GetFiles(nupkg, "pipechat.*.nupkg"));
            await RunAsync("dotnet", "tool", "install", "--tool-path", tools, "--add-source", nupkg, "pipechat");

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

    private static Task<string> RunAsync(string file, params string[] arguments) => ToolRun.RunAsync(file, arguments, StepTimeout);
}
