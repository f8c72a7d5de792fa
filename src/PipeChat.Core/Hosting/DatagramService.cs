using PipeChat.Diagnostics;
using PipeChat.Protocols;

namespace PipeChat.Hosting;

/// <summary>A datagram protocol made for one server, with the counters it adds to the server's metrics.</summary>
/// <param name="Protocol">The protocol.</param>
/// <param name="Counters">The protocol's own counters (none: empty).</param>
public sealed record DatagramService(IDatagramProtocol Protocol, IReadOnlyList<ProtocolCounter> Counters)
{
    /// <summary>A protocol with no counters of its own.</summary>
    public DatagramService(IDatagramProtocol protocol)
        : this(protocol, [])
    {
    }

    /// <summary>A line the protocol adds to <c>/healthz</c> while it runs (e.g. <c>cluster linked</c>); null: none.</summary>
    public Func<string?>? Health { get; init; }
}
