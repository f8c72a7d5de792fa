using System.Net;

namespace PipeChat.Protocols;

/// <summary>
/// The sans-I/O side of a UDP protocol. The <c>from</c> address of <c>OnDatagram</c> is reused by the model for
/// the next datagram: copy it to keep it.
/// </summary>
public interface IDatagramProtocol
{
    /// <summary>Short protocol name for logs and the ready line.</summary>
    string Name { get; }

    /// <summary>Handles one datagram.</summary>
    void OnDatagram(ReadOnlySpan<byte> datagram, SocketAddress from, IDatagramOutput output);

    /// <summary>
    /// True when datagrams may be handled on several threads at once (stateless echo); false
    /// keeps one receive loop so a sender's datagrams are handled in arrival order (chat).
    /// </summary>
    bool AllowsConcurrentDatagrams { get; }

    /// <summary>How often <see cref="OnTick"/> should run; null for never.</summary>
    TimeSpan? TickInterval { get; }

    /// <summary>Periodic work (expiry), called by the model from one thread at a time.</summary>
    void OnTick(IDatagramOutput output);

    /// <summary>Last words on shutdown (e.g. a notice to every member).</summary>
    void OnShutdown(IDatagramOutput output);
}
