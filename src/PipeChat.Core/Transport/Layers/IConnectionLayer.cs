namespace PipeChat.Transport;

/// <summary>
/// A layer between a connection's transport (any connected stream socket) and its session, like
/// an HTTPS middleware on a duplex pipe: TLS is one. A layer turns the stream below it into the
/// stream the session's bytes travel on, and ends itself before the transport closes. Sessions and
/// the close policy (<see cref="Connections.SessionDriver"/>) never know which layers run.
/// </summary>
internal interface IConnectionLayer
{
    /// <summary>What the ready line's scheme becomes with this layer, e.g. "tls"; null: unchanged.</summary>
    string? Scheme { get; }

    /// <summary>
    /// Opens the layer over <paramref name="inner"/> (TLS: the handshake), bounded in time by the
    /// layer itself. Throws <see cref="ConnectionLayerException"/> when the connection must be
    /// dropped; it then disposed what it created, but not <paramref name="inner"/>.
    /// </summary>
    Task<Stream> OpenAsync(Stream inner, CancellationToken stopping);

    /// <summary>Ends the layer before the transport closes (TLS: close_notify). May throw when the peer is gone.</summary>
    ValueTask CloseAsync(Stream opened);

    /// <summary>Reloads what the layer reads from files (TLS: certificate and key); false when that failed and the old state stays.</summary>
    bool Reload();
}
