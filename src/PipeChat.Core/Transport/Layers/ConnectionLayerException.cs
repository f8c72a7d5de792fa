namespace PipeChat.Transport;

/// <summary>A connection layer refused the connection (TLS: the handshake failed or timed out); counted and logged by the layer.</summary>
internal sealed class ConnectionLayerException : IOException
{
    public ConnectionLayerException()
    {
    }

    public ConnectionLayerException(string message)
        : base(message)
    {
    }

    public ConnectionLayerException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
