using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using PipeChat.Diagnostics;

namespace PipeChat.Hosting;

/// <summary>
/// Starts the bound server, announces it (stdout ready line, systemd READY=1), publishes its
/// metrics, and drains it on SIGINT/SIGTERM.
/// </summary>
internal sealed partial class ServerHostedService(ServerHolder holder, PipeChatOptions options, TextWriter readyOutput, ILogger logger) : IHostedService, IAsyncDisposable
{
    // Outside systemd (where SystemdLifetime speaks for us) NOTIFY_SOCKET may still be set,
    // e.g. by a supervisor or a test: notify it ourselves.
    private readonly SystemdNotifier? _notifier = SystemdHelpers.IsSystemdService() ? null : new SystemdNotifier();
    private IDisposable? _metricsRegistration;
    private MetricsEndpoint? _metricsEndpoint;
    private System.Runtime.InteropServices.PosixSignalRegistration? _reload;

    /// <summary>The server this service runs (tests read its bound address).</summary>
    internal Servers.IServer? Server => holder.Server;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var server = holder.Server ?? throw new InvalidOperationException("No server was bound.");
        if (holder.Metrics is { } metrics)
        {
            _metricsRegistration = PipeChatMetrics.Register(metrics);
        }

        if (options.MetricsPort is { } metricsPort)
        {
            _metricsEndpoint = holder.MetricsEndpoint ?? new MetricsEndpoint(options.MetricsHost ?? options.Host, metricsPort);
            holder.MetricsEndpoint = null;
            MetricsListening(logger, _metricsEndpoint.Url);
        }

        server.Start();
        if (!OperatingSystem.IsWindows())
        {
            // SIGHUP reloads the layers' files (TLS certificate and key; without layers, nothing);
            // the process keeps running either way, so ExecReload= is harmless in any unit.
            var layers = holder.Layers;
            _reload = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGHUP, context =>
            {
                context.Cancel = true;
                layers.Reload();
            });
        }

        // docs/options.md: exactly one line on stdout once the socket is bound.
        var listenOn = ServerFactory.ListenEndPointOf(server);
        var ready = ReadyLine(options, listenOn, (server as Servers.AsyncTcpServer)?.Io);
        if (options.Udp)
        {
            ListeningUdp(logger, ready);
        }
        else
        {
            // Per-IP limits and keepalive do not apply to Unix socket peers.
            var ip = listenOn is IPEndPoint;
            Listening(logger, ready, options.MaxConnections, ip ? options.MaxConnectionsPerIp : 0, ip ? (int)options.Keepalive.TotalSeconds : 0);
        }

        readyOutput.WriteLine(ready);
        readyOutput.Flush();
        if (_notifier is { IsEnabled: true })
        {
            _notifier.Notify(ServiceState.Ready);
        }

        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_notifier is { IsEnabled: true })
        {
            _notifier.Notify(ServiceState.Stopping);
        }

        if (holder.Server is { } server)
        {
            var started = TimeProvider.System.GetTimestamp();
            DrainStarted(logger, server.Stats.Active, options.ShutdownTimeout.TotalSeconds);
            await server.StopAsync(options.ShutdownTimeout).ConfigureAwait(false);
            DrainEnded(logger, (long)TimeProvider.System.GetElapsedTime(started).TotalMilliseconds, server.Stats.Accepted, server.Stats.Rejected);
        }

        if (holder.Companion is { } companion)
        {
            holder.Companion = null;
            await companion.DisposeAsync().ConfigureAwait(false);
        }

        Stopped(logger);

        await DisposeAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        _reload?.Dispose();
        _reload = null;
        if (_metricsEndpoint is not null)
        {
            await _metricsEndpoint.DisposeAsync().ConfigureAwait(false);
            _metricsEndpoint = null;
        }

        _metricsRegistration?.Dispose();
    }

    /// <summary>E.g. <c>pipechat echo (async, epoll) listening on tcp://127.0.0.1:7007</c>: the socket I/O is named where there is a choice.</summary>
    public static string ReadyLine(PipeChatOptions options, EndPoint endPoint, Transport.SocketIoKind? io = null)
    {
        var protocol = options.Protocol.Name;
        var model = options.Model.Name;
        var how = io is { } kind ? $"{model}, {kind.ToString().ToLowerInvariant()}" : model;
        return $"pipechat {protocol} ({how}) listening on {Address(options, endPoint)}";
    }

    /// <summary>tcp://HOST:PORT, udp://HOST:PORT, or unix:PATH.</summary>
    public static string Address(PipeChatOptions options, EndPoint endPoint) =>
        endPoint is IPEndPoint ip ? $"{options.Scheme}://{Format(ip)}" : Servers.BoundListener.Describe(endPoint);

    public static string Format(IPEndPoint endPoint) =>
        endPoint.AddressFamily == AddressFamily.InterNetworkV6
            ? $"[{endPoint.Address}]:{endPoint.Port}"
            : $"{endPoint.Address}:{endPoint.Port}";

    [LoggerMessage(10, LogLevel.Information, "metrics at {Url} (and /healthz)")]
    private static partial void MetricsListening(ILogger logger, string url);

    [LoggerMessage(11, LogLevel.Information, "{Ready} (max-connections {MaxConnections}, per-ip {MaxPerIp}, keepalive {Keepalive} s)")]
    private static partial void Listening(ILogger logger, string ready, int maxConnections, int maxPerIp, int keepalive);

    [LoggerMessage(15, LogLevel.Information, "{Ready}")]
    private static partial void ListeningUdp(ILogger logger, string ready);

    [LoggerMessage(12, LogLevel.Information, "shutting down: accepting stopped, draining {Active} connections for up to {Timeout} s")]
    private static partial void DrainStarted(ILogger logger, long active, double timeout);

    [LoggerMessage(13, LogLevel.Information, "drained in {Elapsed} ms ({Accepted} connections accepted, {Rejected} refused in all)")]
    private static partial void DrainEnded(ILogger logger, long elapsed, long accepted, long rejected);

    [LoggerMessage(14, LogLevel.Information, "stopped")]
    private static partial void Stopped(ILogger logger);
}
