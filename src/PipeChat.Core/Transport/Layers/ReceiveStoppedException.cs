namespace PipeChat.Transport;

/// <summary>A blocking read gave up because the connection is stopping (not an error of the peer).</summary>
internal sealed class ReceiveStoppedException : IOException
{
    public ReceiveStoppedException()
        : base("receive stopped: the connection is closing")
    {
    }

    public ReceiveStoppedException(string message)
        : base(message)
    {
    }

    public ReceiveStoppedException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
