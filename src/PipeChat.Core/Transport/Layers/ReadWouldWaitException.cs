namespace PipeChat.Transport;

/// <summary>A read asked not to wait (a probe of what the layer above holds) found the socket empty.</summary>
internal sealed class ReadWouldWaitException : IOException
{
    public ReadWouldWaitException()
        : base("no data waiting")
    {
    }

    public ReadWouldWaitException(string message)
        : base(message)
    {
    }

    public ReadWouldWaitException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
