using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace PipeChat.Tests.Support;

/// <summary>The real `pipechat` executable as a child process, with bounded waits.</summary>
public sealed partial class CliProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource<string> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private CliProcess(Process process)
    {
        _process = process;
    }

    public string Stdout
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Starts `pipechat ARGUMENTS`; <paramref name="fileLimit"/> lowers its RLIMIT_NOFILE (ulimit -n) first.</summary>
    public static CliProcess Start(string arguments, IDictionary<string, string>? environment = null, string? stdin = null, int? fileLimit = null)
    {
        var info = fileLimit is { } limit
            ? new ProcessStartInfo("bash", ["-c", $"ulimit -n {limit} && exec {(Native is null ? $"dotnet \"{Dll}\"" : $"\"{Native}\"")} {arguments}"])
            : new ProcessStartInfo(Native ?? "dotnet", Native is null ? $"\"{Dll}\" {arguments}" : arguments);
        return Start(info, environment, stdin, closeStdin: true);
    }

    /// <summary>
    /// Starts `pipechat ARGUMENTS` the way systemd's socket activation does: a small launcher binds
    /// <paramref name="kind"/> (tcp or udp on 127.0.0.1 port 0, or unix at <paramref name="unixPath"/>),
    /// puts it at descriptor 3, sets LISTEN_FDS=1 and LISTEN_PID to its own PID and execs pipechat
    /// (same process, same PID). For udp it first writes `activation: bound udp port N` to stderr,
    /// so a test can queue a datagram before pipechat runs. Needs /usr/bin/python3.
    /// </summary>
    public static CliProcess StartActivated(string kind, string? unixPath, IReadOnlyList<string> arguments, IDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(Python);
        foreach (var argument in (string[])["-c", ActivationLauncher, kind, unixPath ?? "-", Native ?? "dotnet"])
        {
            info.ArgumentList.Add(argument);
        }

        if (Native is null)
        {
            info.ArgumentList.Add(Dll);
        }

        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        return Start(info, environment, null, closeStdin: true);
    }

    /// <summary>The launcher <see cref="StartActivated"/> runs.</summary>
    public const string Python = "/usr/bin/python3";

    private const string ActivationLauncher = """
        import os, socket, sys
        kind, path, command = sys.argv[1], sys.argv[2], sys.argv[3:]
        if kind == "tcp":
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM); s.bind(("127.0.0.1", 0)); s.listen(128)
        elif kind == "udp":
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0))
            print("activation: bound udp port", s.getsockname()[1], file=sys.stderr, flush=True)
        else:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.bind(path); s.listen(128)
        if s.fileno() != 3:
            os.dup2(s.fileno(), 3)
        os.set_inheritable(3, True)
        os.environ["LISTEN_FDS"] = "1"
        os.environ["LISTEN_PID"] = str(os.getpid())
        os.execvp(command[0], command)
        """;

    /// <summary>Starts another server built in this repository (a sample) as `dotnet DLL ARGUMENTS`.</summary>
    public static CliProcess StartDll(string dll, string arguments) =>
        Start(new ProcessStartInfo("dotnet", $"\"{dll}\" {arguments}") { WorkingDirectory = Path.GetDirectoryName(dll)! }, null, null, closeStdin: true);

    /// <summary>
    /// Runs pipechat on a pseudo-terminal (util-linux `script`), as a user at a terminal does;
    /// standard input stays open, so the program sees a terminal waiting for a key.
    /// </summary>
    public static CliProcess StartOnTerminal(string arguments) =>
        Start(new ProcessStartInfo("script", ["-qfec", Native is null ? $"dotnet \"{Dll}\" {arguments}" : $"\"{Native}\" {arguments}", "/dev/null"]), null, null, closeStdin: false);

    private static string Dll => Path.Combine(AppContext.BaseDirectory, "pipechat.dll");

    /// <summary>
    /// PIPECHAT_CLI names a native (ahead-of-time compiled) pipechat to test instead of the JIT
    /// build beside the tests; .ci/run sets it for a second run of the CLI tests.
    /// </summary>
    private static string? Native => Environment.GetEnvironmentVariable("PIPECHAT_CLI") is { Length: > 0 } path ? Path.GetFullPath(path) : null;

    private static CliProcess Start(ProcessStartInfo info, IDictionary<string, string>? environment, string? stdin, bool closeStdin)
    {
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.RedirectStandardInput = true;
        info.UseShellExecute = false;
        if (string.IsNullOrEmpty(info.WorkingDirectory))
        {
            info.WorkingDirectory = AppContext.BaseDirectory;
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var cli = new CliProcess(process);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lock (cli._stdout)
            {
                cli._stdout.AppendLine(e.Data.TrimEnd('\r'));
            }

            if (e.Data.Contains("listening on", StringComparison.Ordinal))
            {
                cli._ready.TrySetResult(e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (cli._stderr)
                {
                    cli._stderr.AppendLine(e.Data);
                }
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (stdin is not null)
        {
            process.StandardInput.Write(stdin);
        }

        if (closeStdin)
        {
            process.StandardInput.Close();
        }

        return cli;
    }

    /// <summary>Waits for the ready line; returns the address it names.</summary>
    public async Task<IPEndPoint> ReadyAsync()
    {
        var match = ListeningRegex().Match(await ReadyLineAsync());
        return IPEndPoint.Parse(match.Groups[1].Value);
    }

    /// <summary>Waits for the ready line and returns it.</summary>
    public async Task<string> ReadyLineAsync()
    {
        var exited = _process.WaitForExitAsync();
        var ready = _ready.Task;
        var finished = await Task.WhenAny(ready, exited, Task.Delay(Wait.Default));
        if (finished != ready)
        {
            throw new InvalidOperationException($"server not ready. stdout: {Stdout} stderr: {Stderr}");
        }

        return await ready;
    }

    public async Task<int> ExitCodeAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? Wait.Default);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"pipechat did not exit. stderr: {Stderr}");
        }

        _process.WaitForExit(); // flushes the redirected streams
        return _process.ExitCode;
    }

    public void Signal(string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit(5000);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }

    [GeneratedRegex(@"listening on (?:tcp|udp|tls)://(\S+)$")]
    private static partial Regex ListeningRegex();
}
