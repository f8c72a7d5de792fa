using PipeChat.Diagnostics;
using PipeChat.Protocols;

namespace PipeChat.Hosting;

/// <summary>A datagram protocol made for one server, with what it adds to the server's metrics.</summary>
public sealed record DatagramService(IDatagramProtocol Protocol, Func<MetricsSource, MetricsSource> Metrics);
