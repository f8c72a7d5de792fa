using System.Text.RegularExpressions;
using PipeChat.Tests.Support;

namespace PipeChat.Tests.Hosting;

/// <summary>The systemd units in deploy/ are valid as installed: <c>systemd-analyze verify</c> on a scratch root.</summary>
public sealed partial class DeployUnitTests : IDisposable
{
    // Where the units' comments install the tool: dotnet tool install --tool-path /opt/pipechat
    // puts its command at /opt/pipechat/pipechat (DotnetToolTests checks that).
    private const string Executable = "/opt/pipechat/pipechat";

    private readonly string _root = Directory.CreateTempSubdirectory("pipechat-units-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static string DeployDirectory
    {
        get
        {
            var directory = new DirectoryInfo(AppContext.BaseDirectory);
            while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "PipeChat.sln")))
            {
                directory = directory.Parent;
            }

            return Path.Combine(directory?.FullName ?? throw new InvalidOperationException("PipeChat.sln not found above the test folder"), "deploy");
        }
    }

    [ToolFact("/usr/bin/systemd-analyze", "systemd")]
    public async Task Every_unit_passes_systemd_analyze_verify_installed_beside_the_tool()
    {
        // A scratch root: the system's own units (targets the deploy units refer to), the deploy
        // units where the comments copy them, and a stand-in executable where the tool goes.
        var system = Directory.Exists("/usr/lib/systemd/system") ? "/usr/lib/systemd/system" : "/lib/systemd/system";
        CopyDirectory(system, Path.Combine(_root, "usr/lib/systemd/system"));
        var units = Path.Combine(_root, "etc/systemd/system");
        Directory.CreateDirectory(units);
        var names = Directory.GetFiles(DeployDirectory).Select(Path.GetFileName).OfType<string>().Order().ToList();
        foreach (var name in names)
        {
            File.Copy(Path.Combine(DeployDirectory, name), Path.Combine(units, name));
        }

        if (!OperatingSystem.IsLinux())
        {
            return; // systemd-analyze (the ToolFact) is Linux only.
        }

        // Stand-ins for what the units start: the tool, and nats-server where Debian's package puts it.
        var executables = names.Select(n => ExecStart().Match(File.ReadAllText(Path.Combine(units, n))))
            .Where(m => m.Success)
            .Select(m => m.Groups[1].Value.Split(' ')[0])
            .Distinct();
        foreach (var executable in executables)
        {
            var stub = Path.Combine(_root, executable.TrimStart('/'));
            Directory.CreateDirectory(Path.GetDirectoryName(stub)!);
            File.WriteAllText(stub, "#!/bin/sh\n");
            File.SetUnixFileMode(stub, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var output = await ToolRun.RunAsync(
            "/usr/bin/systemd-analyze",
            ["verify", "--man=no", $"--root={_root}", .. names.Select(n => "/etc/systemd/system/" + n)],
            TimeSpan.FromSeconds(60));
        Assert.DoesNotContain("not executable", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_socket_unit_has_its_service_and_every_service_runs_the_installed_tool()
    {
        var files = Directory.GetFiles(DeployDirectory);
        var sockets = files.Where(f => f.EndsWith(".socket", StringComparison.Ordinal)).ToList();
        Assert.Contains(sockets, f => Path.GetFileName(f) == "pipechat-echo.socket");
        Assert.Contains(sockets, f => Path.GetFileName(f) == "pipechat-chat.socket");
        foreach (var socket in sockets)
        {
            Assert.True(File.Exists(Path.ChangeExtension(socket, ".service")), $"{Path.GetFileName(socket)} has no service of its name");
            Assert.Contains("Accept=no", File.ReadAllText(socket), StringComparison.Ordinal);
        }

        // The passed socket must fit the command (the server exits 1 otherwise): a datagram socket
        // for a service run with --udp, a stream socket for one without.
        Assert.Contains(sockets, f => Path.GetFileName(f) == "pipechat-echo-udp.socket");
        foreach (var socket in sockets)
        {
            var datagram = File.ReadAllText(socket).Contains("ListenDatagram=", StringComparison.Ordinal);
            var exec = ExecStart().Match(File.ReadAllText(Path.ChangeExtension(socket, ".service"))).Groups[1].Value;
            Assert.True(datagram == exec.Split(' ').Contains("--udp"), $"{Path.GetFileName(socket)} ({(datagram ? "datagram" : "stream")}) does not fit its service: {exec}");
        }

        // PipeChat's own services (not nats-server's) run the tool where the documented install puts it.
        foreach (var service in files.Where(f => f.EndsWith(".service", StringComparison.Ordinal) && Path.GetFileName(f).StartsWith("pipechat", StringComparison.Ordinal)))
        {
            var exec = ExecStart().Match(File.ReadAllText(service));
            Assert.True(exec.Success, $"{Path.GetFileName(service)} has no ExecStart");
            Assert.StartsWith(Executable + " ", exec.Groups[1].Value, StringComparison.Ordinal);
            Assert.Contains("dotnet tool install --tool-path /opt/pipechat", File.ReadAllText(service), StringComparison.Ordinal);
        }
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var entry in new DirectoryInfo(from).EnumerateFileSystemInfos())
        {
            var target = Path.Combine(to, entry.Name);
            if (entry.LinkTarget is { } link)
            {
                File.CreateSymbolicLink(target, link); // Unit aliases: relative, or absolute (resolved under the root).
            }
            else if (entry is DirectoryInfo directory)
            {
                CopyDirectory(directory.FullName, target);
            }
            else
            {
                File.Copy(entry.FullName, target);
            }
        }
    }

    [GeneratedRegex(@"^ExecStart=(.+)$", RegexOptions.Multiline)]
    private static partial Regex ExecStart();
}
