using PipeChat.Diagnostics;
using PipeChat.Servers;

namespace PipeChat.Hosting;

/// <summary>The bound server, handed to the hosted service (bound before the host starts so a bind failure is a clean exit 1).</summary>
internal sealed class ServerHolder
{
    public IServer? Server { get; set; }

    public MetricsSource? Metrics { get; set; }

    /// <summary>The server's connection layers (TLS): SIGHUP reloads their files.</summary>
    public Transport.ConnectionLayers Layers { get; set; } = Transport.ConnectionLayers.None;

    /// <summary>The /metrics endpoint, bound beside the server (so a port in use is a clean exit 1 as well).</summary>
    public MetricsEndpoint? MetricsEndpoint { get; set; }

    /// <summary>Ended after the drain (a chat node's cluster link).</summary>
    public IAsyncDisposable? Companion { get; set; }
}
