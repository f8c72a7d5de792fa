using PipeChat.Diagnostics;
using PipeChat.Servers;

namespace PipeChat.Hosting;

/// <summary>A bound server with what it publishes to the meter.</summary>
public sealed record BuiltServer(IServer Server, MetricsSource Metrics)
{
    /// <summary>The server's connection layers (TLS), for SIGHUP reloads.</summary>
    internal Transport.ConnectionLayers Layers { get; init; } = Transport.ConnectionLayers.None;

    /// <summary>What must end after the server has drained (a chat node's cluster link); null: nothing.</summary>
    internal IAsyncDisposable? Companion { get; init; }
}
