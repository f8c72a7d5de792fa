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
        var exited = _process.WaitForExitAsync();
        var ready = _ready.Task;
        var finished = await Task.WhenAny(ready, exited, Task.Delay(Wait.Default));
        if (finished != ready)
        {
            throw new InvalidOperationException($"server not ready. stdout: {Stdout} stderr: {Stderr}");
        }

        var match = ListeningRegex().Match(await ready);
        return IPEndPoint.Parse(match.Groups[1].Value);
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
