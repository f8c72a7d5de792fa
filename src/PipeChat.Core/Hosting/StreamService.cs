using PipeChat.Diagnostics;
using PipeChat.Protocols;

namespace PipeChat.Hosting;

/// <summary>A stream protocol made for one server, with what it adds to the server's metrics.</summary>
public sealed record StreamService(IStreamProtocol Protocol, Func<MetricsSource, MetricsSource> Metrics);
