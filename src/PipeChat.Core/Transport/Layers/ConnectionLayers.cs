namespace PipeChat.Transport;

/// <summary>
/// The connection layers of a server, in order from the transport up (the registry the models
/// consult instead of knowing TLS). Empty: plain connections, served by the models' own
/// socket paths with nothing added; otherwise every connection runs over a <see cref="SocketStream"/>
/// with each layer opened on top of the one below.
/// </summary>
internal sealed class ConnectionLayers
{
    private readonly IConnectionLayer[] _layers;

    public ConnectionLayers(params IConnectionLayer[] layers) => _layers = layers;

    /// <summary>No layers: plain TCP (or Unix) connections.</summary>
    public static ConnectionLayers None { get; } = new();

    public bool IsEmpty => _layers.Length == 0;

    public IReadOnlyList<IConnectionLayer> All => _layers;

    /// <summary>The ready line's scheme: the outermost layer's that names one, else <paramref name="transport"/>.</summary>
    public string Scheme(string transport)
    {
        for (var i = _layers.Length - 1; i >= 0; i--)
        {
            if (_layers[i].Scheme is { } scheme)
            {
                return scheme;
            }
        }

        return transport;
    }

    /// <summary>
    /// Opens every layer over <paramref name="transport"/>; the result's <see cref="OpenLayers.Stream"/> carries the session's bytes.
    /// Throws <see cref="ConnectionLayerException"/> (or an I/O error) when a layer refuses; what was opened is disposed then.
    /// </summary>
    public async Task<OpenLayers> OpenAsync(SocketStream transport, CancellationToken stopping)
    {
        var opened = new Stream[_layers.Length];
        Stream current = transport;
        var count = 0;
        try
        {
            for (; count < _layers.Length; count++)
            {
                current = await _layers[count].OpenAsync(current, stopping).ConfigureAwait(false);
                opened[count] = current;
            }
        }
        catch
        {
            for (var i = count - 1; i >= 0; i--)
            {
                await opened[i].DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }

        return new OpenLayers(this, transport, opened);
    }

    /// <summary>Reloads every layer's files; false if any failed (it keeps its old state).</summary>
    public bool Reload()
    {
        var ok = true;
        foreach (var layer in _layers)
        {
            ok &= layer.Reload();
        }

        return ok;
    }

    /// <summary>The layers of one connection once opened.</summary>
    internal sealed class OpenLayers(ConnectionLayers layers, SocketStream transport, Stream[] opened)
    {
        public SocketStream Transport { get; } = transport;

        /// <summary>The outermost stream: the session's bytes.</summary>
        public Stream Stream => opened.Length == 0 ? Transport : opened[^1];

        /// <summary>Ends every layer, outermost first (close_notify); the transport stays open.</summary>
        public async ValueTask CloseAsync()
        {
            for (var i = opened.Length - 1; i >= 0; i--)
            {
                await layers._layers[i].CloseAsync(opened[i]).ConfigureAwait(false);
            }
        }

        /// <summary>Releases the layers' streams (not the transport).</summary>
        public void Dispose()
        {
            for (var i = opened.Length - 1; i >= 0; i--)
            {
                opened[i].Dispose();
            }
        }
    }
}
