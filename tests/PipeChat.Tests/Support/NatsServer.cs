using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace PipeChat.Tests.Support;

/// <summary>
/// A nats-server of the test's own (<c>nats-server -js -p PORT -sd DIR</c>) on a free loopback port, killed at
/// the end. <see cref="Restart"/> brings it back on the same port and store, for outage tests.
/// </summary>
public sealed class NatsServer : IDisposable
{
    /// <summary>Where the Debian package puts it (the test is skipped without it, unless CI is set).</summary>
    public const string Path = "/usr/sbin/nats-server";

    private readonly string _store = Directory.CreateTempSubdirectory("pipechat-nats-").FullName;
    private Process? _process;

    public NatsServer()
    {
        Port = FreePort();
        if (File.Exists(Path) || File.Exists("/usr/bin/nats-server"))
        {
            // Without it every test of the class is skipped (NatsFact); nothing to start.
            Start();
        }
    }

    public int Port { get; }

    public string Url => $"nats://127.0.0.1:{Port}";

    /// <summary>Kills the server (SIGKILL) and waits until it is gone.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            process.WaitForExit(10_000);
        }

        _process?.Dispose();
        _process = null;
    }

    /// <summary>Starts it again on the same port and store.</summary>
    public void Restart()
    {
        Kill();
        Start();
    }

    public void Dispose()
    {
        Kill();
        try
        {
            Directory.Delete(_store, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }

    private void Start()
    {
        var info = new ProcessStartInfo(ExistingPath(), $"-js -a 127.0.0.1 -p {Port} -sd {_store}")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        _process = Process.Start(info) ?? throw new InvalidOperationException("nats-server did not start");
        _process.ErrorDataReceived += (_, _) => { };
        _process.OutputDataReceived += (_, _) => { };
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            try
            {
                using var probe = new TcpClient();
                probe.Connect(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !_process.HasExited)
            {
                Thread.Sleep(20);
            }
        }
    }

    private static string ExistingPath() => File.Exists(Path) ? Path : "/usr/bin/nats-server";

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
