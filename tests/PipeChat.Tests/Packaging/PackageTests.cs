using System.Text;
using PipeChat.Tests.Support;

namespace PipeChat.Tests.Packaging;

/// <summary>
/// The PipeChat.Core package works for a stranger: packed from this build, added to a fresh console
/// project (a local folder source, the usual registry for its dependencies), built, run, and it serves
/// a reversed line over a real socket. Slow (restore and build): every step is bounded.
/// </summary>
public sealed class PackageTests
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromMinutes(5);

    private const string Program = """
        using PipeChat.Hosting;
        using PipeChat.Protocols.Lines;

        return await PipeChatServer.Create(new Reverse()).WithDefaultPort(7100).RunAsync(args);

        sealed class Reverse() : LineProtocol("reverse")
        {
            protected override bool OnLine(ReadOnlySpan<byte> line, LineWriter writer)
            {
                var reply = writer.GetSpan(line.Length + 1);
                line.CopyTo(reply);
                reply[..line.Length].Reverse();
                reply[line.Length] = (byte)'\n';
                writer.Advance(line.Length + 1);
                return true;
            }
        }
        """;

    [Fact]
    public async Task The_packed_library_serves_a_line_from_a_fresh_console_project()
    {
        var work = Directory.CreateTempSubdirectory("pipechat-package-");
        try
        {
            var feed = Directory.CreateDirectory(Path.Combine(work.FullName, "feed")).FullName;
            var app = Directory.CreateDirectory(Path.Combine(work.FullName, "Consumer")).FullName;

            // A version of its own, so the machine's package cache never serves an older build.
            var version = "0.1.0-test" + DateTime.UtcNow.ToString("yyyyMMddHHmmssfff", System.Globalization.CultureInfo.InvariantCulture);
            var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
            var project = Path.Combine(Repository(), "src", "PipeChat.Core", "PipeChat.Core.csproj");
            await RunAsync(work.FullName, "pack", project, "--no-build", "-c", configuration, "-o", feed, $"-p:PackageVersion={version}");
            Assert.True(File.Exists(Path.Combine(feed, $"PipeChat.Core.{version}.nupkg")), "no package");
            Assert.True(File.Exists(Path.Combine(feed, $"PipeChat.Core.{version}.snupkg")), "no symbol package");

            await File.WriteAllTextAsync(Path.Combine(work.FullName, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <add key="local" value="{feed}" />
                  </packageSources>
                </configuration>
                """);
            await RunAsync(app, "new", "console", "--force", "--no-restore");
            await RunAsync(app, "add", "package", "PipeChat.Core", "--version", version);
            await File.WriteAllTextAsync(Path.Combine(app, "Program.cs"), Program);
            await RunAsync(app, "build", "-c", "Debug", "-warnaserror");

            var dll = Directory.GetFiles(Path.Combine(app, "bin", "Debug"), "Consumer.dll", SearchOption.AllDirectories).Single();
            using var server = CliProcess.StartDll(dll, "--port 0");
            using var client = await TestClient.ConnectAsync(await server.ReadyAsync());
            await client.SendAsync("from a package\n");
            Assert.Equal("egakcap a morf\n", Encoding.ASCII.GetString(await client.ReceiveExactlyAsync(15)));
            server.Signal("TERM");
            Assert.Equal(0, await server.ExitCodeAsync());
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static Task<string> RunAsync(string directory, params string[] arguments) =>
        ToolRun.RunAsync("dotnet", arguments, StepTimeout, directory);

    // tests/PipeChat.Tests/bin/CONFIGURATION/TFM/ is five levels below the repository.
    private static string Repository() =>
        new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
}
