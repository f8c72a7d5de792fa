using PipeChat.Diagnostics;
using PipeChat.Servers;

namespace PipeChat.Hosting;

/// <summary>A bound server with what it publishes to the meter.</summary>
public sealed record BuiltServer(IServer Server, MetricsSource Metrics);
