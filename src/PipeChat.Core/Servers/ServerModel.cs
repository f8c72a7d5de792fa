using Microsoft.Extensions.Logging;
using PipeChat.Protocols;

namespace PipeChat.Servers;

/// <summary>
/// A connection model as the rest of the toolkit sees it: its name (--model) and how it makes a
/// server for a stream protocol, and for a datagram protocol where it serves UDP.
/// </summary>
/// <param name="Name">What --model takes, e.g. <c>threads</c>.</param>
/// <param name="CreateTcp">A bound, not yet started, TCP server of this model.</param>
/// <param name="CreateUdp">A bound, not yet started, UDP server of this model; null when the model has no UDP form.</param>
public sealed record ServerModel(
    string Name,
    Func<ServerSettings, IStreamProtocol, ILogger, IServer> CreateTcp,
    Func<ServerSettings, IDatagramProtocol, ILogger, IServer>? CreateUdp = null)
{
    /// <summary>The model's name.</summary>
    public override string ToString() => Name;
}
