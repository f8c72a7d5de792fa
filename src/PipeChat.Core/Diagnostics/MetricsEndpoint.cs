using System.Net;
using System.Net.Sockets;
using Prometheus;

namespace PipeChat.Diagnostics;

/// <summary>
/// Serves PipeChat's counters in the Prometheus text format at /metrics (rendered by
/// prometheus-net) and a liveness answer at /healthz. Off unless --metrics-port is given.
/// </summary>
public sealed class MetricsEndpoint : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly CollectorRegistry _registry;
    private readonly Task _loop;

    /// <summary>Starts serving <c>/metrics</c> (Prometheus text) and <c>/healthz</c> on <paramref name="host"/>:<paramref name="port"/> (0: any free port).</summary>
    public MetricsEndpoint(IPAddress host, int port)
    {
        ArgumentNullException.ThrowIfNull(host);
        if (host.AddressFamily == AddressFamily.InterNetworkV6 && !host.Equals(IPAddress.IPv6Any) && !OperatingSystem.IsWindows())
        {
            // The runtime's HTTP listener outside Windows takes no IPv6 literal in a prefix ("invalid port").
            throw new HttpListenerException(22, "an IPv6 address other than :: is not supported here; use 127.0.0.1 or ::");
        }

        // A registry of our own with PipeChat's counters only, refreshed from the same sources as
        // the "PipeChat" meter just before each scrape (nothing is counted twice, nothing on the hot
        // path). Collectors are made on first sight: protocols define their counters when they register.
        _registry = Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(_registry);
        var created = new Dictionary<string, Collector>(StringComparer.Ordinal);
        _registry.AddBeforeCollectCallback(() =>
        {
            var definitions = PipeChatMetrics.Definitions;
            foreach (var source in PipeChatMetrics.Snapshot())
            {
                foreach (var definition in definitions)
                {
                    if (definition.Read(source) is not { } value)
                    {
                        continue;
                    }

                    string[] values = definition.Label is { } label
                        ? [source.Model, source.Protocol, source.Transport, label.Value]
                        : [source.Model, source.Protocol, source.Transport];
                    var metric = Collector(factory, created, definition);
                    if (metric is Gauge gauge)
                    {
                        gauge.WithLabels(values).Set(value);
                    }
                    else
                    {
                        ((Counter)metric).WithLabels(values).IncTo(value);
                    }
                }
            }
        });

        Port = port == 0 ? FreePort(host) : port;
        var hostText = host.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{host}]" : host.ToString();
        if (host.Equals(IPAddress.Any) || host.Equals(IPAddress.IPv6Any))
        {
            hostText = "+";
        }

        _listener.Prefixes.Add($"http://{hostText}:{Port}/");
        _listener.Start();
        Url = $"http://{(hostText == "+" ? "localhost" : hostText)}:{Port}/metrics";
        _loop = ServeAsync();
    }

    /// <summary>The port served (the real one when 0 was asked).</summary>
    public int Port { get; }

    /// <summary>Where /metrics is.</summary>
    public string Url { get; }

    /// <summary>Stops the endpoint.</summary>
    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop.ConfigureAwait(false);
    }

    private static Collector Collector(MetricFactory factory, Dictionary<string, Collector> created, MetricDefinition definition)
    {
        lock (created)
        {
            if (created.TryGetValue(definition.Name, out var metric))
            {
                return metric;
            }

            var help = definition.Description + ".";
            string[] names = definition.Label is { } label ? ["model", "protocol", "transport", label.Name] : ["model", "protocol", "transport"];
            metric = definition.IsGauge
                ? factory.CreateGauge(definition.PrometheusName, help, names)
                : factory.CreateCounter(definition.PrometheusName, help, names);
            created[definition.Name] = metric;
            return metric;
        }
    }

    private static int FreePort(IPAddress host)
    {
        // HttpListener cannot bind port 0: ask the OS for a free port, then use it.
        using var probe = new Socket(host.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(host, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            await RespondAsync(context).ConfigureAwait(false);
        }
    }

    private async Task RespondAsync(HttpListenerContext context)
    {
        var response = context.Response;
        try
        {
            switch (context.Request.Url?.AbsolutePath)
            {
                case "/metrics":
                    response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
                    using (var body = new MemoryStream())
                    {
                        await _registry.CollectAndExportAsTextAsync(body).ConfigureAwait(false);
                        body.Position = 0;
                        await body.CopyToAsync(response.OutputStream).ConfigureAwait(false);
                    }

                    break;
                case "/healthz":
                    response.ContentType = "text/plain";
                    await response.OutputStream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(Health())).ConfigureAwait(false);
                    break;
                default:
                    response.StatusCode = 404;
                    break;
            }
        }
        catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException)
        {
            // The scraper went away; nothing to do.
        }
        finally
        {
            response.Close();
        }
    }

    /// <summary>
    /// "ok", plus a line from each protocol that has one (a chat node: "cluster linked" or "cluster
    /// unavailable"). Still 200 either way: the server serves its own clients.
    /// </summary>
    private static string Health()
    {
        var text = new System.Text.StringBuilder("ok\n");
        foreach (var source in PipeChatMetrics.Snapshot())
        {
            if (source.Health?.Invoke() is { } line)
            {
                text.Append(line).Append('\n');
            }
        }

        return text.ToString();
    }
}
