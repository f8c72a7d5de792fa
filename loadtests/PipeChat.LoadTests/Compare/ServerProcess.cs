using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using PipeChat.LoadTests.Sockets;

namespace PipeChat.LoadTests.Compare;

/// <summary>
/// A server started for one run: <c>setsid sh -c "exec CMD"</c> in its own process group. It is
/// ready once its standard output has a line containing <c>listening on tcp://HOST:PORT</c>
/// (or <c>udp://</c>, or <c>listening on unix:PATH</c>); it is stopped with SIGTERM to its group, then SIGKILL after a timeout.
/// </summary>
public sealed partial class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Task _stdoutPump;
    private readonly Task _stderrPump;
    private readonly StreamWriter? _log;
    private readonly Queue<string> _stderrTail = new();
    private bool _stopped;

    private ServerProcess(Process process, StreamWriter? log)
    {
        _process = process;
        _log = log;
        _stderrPump = PumpAsync(process.StandardError, "stderr");
        _stdoutPump = PumpAsync(process.StandardOutput, "stdout");
    }

    /// <summary>Gets the PID of the started process (the process group leader).</summary>
    public int Pid => _process.Id;

    /// <summary>Gets the PID holding the listening socket (what is sampled), or <see cref="Pid"/>.</summary>
    public int ServerPid { get; private set; }

    /// <summary>Gets the address to load (loopback).</summary>
    public IPEndPoint EndPoint { get; private set; } = new(IPAddress.Loopback, 0);

    /// <summary>Gets the Unix socket path the server announced (<c>listening on unix:PATH</c>), or null for TCP and UDP.</summary>
    public string? UnixPath { get; private set; }

    /// <summary>Gets the line the server announced itself with.</summary>
    public string ListeningLine { get; private set; } = string.Empty;

    private TaskCompletionSource<string> Listening { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Parses <c>listening on tcp://HOST:PORT</c> from a line; null when the line has none.</summary>
    /// <exception cref="FormatException">The address is not a loopback address (and not 0.0.0.0 / ::).</exception>
    public static (IPEndPoint EndPoint, bool Udp)? ParseListeningLine(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        var m = ListeningRegex().Match(line);
        if (!m.Success)
        {
            return null;
        }

        string host = m.Groups["host"].Value.Trim('[', ']');
        host = host switch
        {
            "0.0.0.0" or "*" => "127.0.0.1",
            "::" => "::1",
            _ => host,
        };
        string formatted = host.Contains(':', StringComparison.Ordinal) ? $"[{host}]:{m.Groups["port"].Value}" : $"{host}:{m.Groups["port"].Value}";
        return (TargetEndpoint.Parse(formatted), m.Groups["proto"].Value == "udp");
    }

    /// <summary>Parses <c>listening on unix:PATH</c> from a line; null when the line has none.</summary>
    public static string? ParseUnixListeningLine(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        var m = UnixListeningRegex().Match(line);
        return m.Success ? m.Groups["path"].Value : null;
    }

    /// <summary>Starts <paramref name="command"/> and waits for its listening line.</summary>
    /// <exception cref="InvalidOperationException">It exited, or did not announce itself in time.</exception>
    public static async Task<ServerProcess> StartAsync(string command, string workingDirectory, string? logPath, TimeSpan startTimeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var psi = new ProcessStartInfo
        {
            FileName = File.Exists("/usr/bin/setsid") ? "/usr/bin/setsid" : "/bin/sh",
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (psi.FileName.EndsWith("setsid", StringComparison.Ordinal))
        {
            psi.ArgumentList.Add("/bin/sh");
        }

        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("exec " + command);
        StreamWriter? log = null;
        if (logPath is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(logPath))!);
            log = new StreamWriter(logPath) { AutoFlush = true };
            await log.WriteLineAsync($"$ {command}").ConfigureAwait(false);
        }

        var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start '{command}'");
        process.StandardInput.Close();
        var server = new ServerProcess(process, log);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(startTimeout);
            var exited = process.WaitForExitAsync(timeout.Token);
            var first = await Task.WhenAny(server.Listening.Task, exited).ConfigureAwait(false);
            if (first != server.Listening.Task)
            {
                if (process.HasExited)
                {
                    await Task.WhenAny(server._stderrPump, Task.Delay(500, CancellationToken.None)).ConfigureAwait(false);
                    throw new InvalidOperationException($"server exited with code {process.ExitCode} before listening: {server.StderrTail()}");
                }

                throw new InvalidOperationException($"server printed no 'listening on' line within {startTimeout.TotalSeconds:0} s: {server.StderrTail()}");
            }

            server.ListeningLine = await server.Listening.Task.ConfigureAwait(false);
            if (ParseUnixListeningLine(server.ListeningLine) is { } path)
            {
                // `exec CMD`: the started process is the server (a wrapper's child is not looked for).
                server.UnixPath = path;
                server.ServerPid = process.Id;
                return server;
            }

            var (endPoint, udp) = ParseListeningLine(server.ListeningLine)!.Value;
            server.EndPoint = endPoint;
            server.ServerPid = ListeningProcessFinder.Find(endPoint.Port, udp, process.Id) ?? process.Id;
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Sends SIGTERM to the group; SIGKILL after <paramref name="timeout"/>. Returns the exit code, or null if it had to be killed.</summary>
    public async Task<int?> StopAsync(TimeSpan timeout)
    {
        if (_stopped)
        {
            return _process.HasExited ? _process.ExitCode : null;
        }

        _stopped = true;
        int? code = null;
        if (!_process.HasExited)
        {
            await SignalGroupAsync("TERM").ConfigureAwait(false);
            using var cts = new CancellationTokenSource(timeout);
            try
            {
                await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
                code = _process.ExitCode;
            }
            catch (OperationCanceledException)
            {
                await SignalGroupAsync("KILL").ConfigureAwait(false);
                _process.Kill(entireProcessTree: true);
                using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                try
                {
                    await _process.WaitForExitAsync(grace.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // give up waiting; the process is signalled
                }
            }
        }
        else
        {
            code = _process.ExitCode;
        }

        await Task.WhenAny(Task.WhenAll(_stdoutPump, _stderrPump), Task.Delay(2000, CancellationToken.None)).ConfigureAwait(false);
        return code;
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        _process.Dispose();
        if (_log is not null)
        {
            await _log.DisposeAsync().ConfigureAwait(false);
        }
    }

    [GeneratedRegex(@"listening on (?<proto>tcp|udp)://(?<host>\[[^\]]+\]|[^\s:/]+):(?<port>\d{1,5})")]
    private static partial Regex ListeningRegex();

    [GeneratedRegex(@"listening on unix:(?<path>/\S+)")]
    private static partial Regex UnixListeningRegex();

    private async Task SignalGroupAsync(string signal)
    {
        // kill(1) with a negative PID signals the whole process group (setsid made the server its leader)
        var psi = new ProcessStartInfo("kill") { UseShellExecute = false, RedirectStandardError = true };
        psi.ArgumentList.Add("-" + signal);
        psi.ArgumentList.Add("--");
        psi.ArgumentList.Add("-" + _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        try
        {
            using var kill = Process.Start(psi);
            if (kill is not null)
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await kill.WaitForExitAsync(cts.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or OperationCanceledException or InvalidOperationException)
        {
            // fall back to the process itself
            if (signal == "KILL" && !_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
    }

    private string StderrTail()
    {
        lock (_stderrTail)
        {
            return _stderrTail.Count == 0 ? "(no output on stderr)" : string.Join(" | ", _stderrTail);
        }
    }

    private async Task PumpAsync(StreamReader reader, string stream)
    {
        try
        {
            while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                if (stream == "stdout" && !Listening.Task.IsCompleted && (ListeningRegex().IsMatch(line) || UnixListeningRegex().IsMatch(line)))
                {
                    Listening.TrySetResult(line);
                }

                if (stream == "stderr")
                {
                    lock (_stderrTail)
                    {
                        _stderrTail.Enqueue(line);
                        while (_stderrTail.Count > 5)
                        {
                            _stderrTail.Dequeue();
                        }
                    }
                }

                if (_log is not null)
                {
                    lock (_log)
                    {
                        _log.WriteLine($"[{stream}] {line}");
                    }
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // the process went away
        }
    }
}
