namespace PipeChat.LoadTests.Sockets;

/// <summary>The server answered with an error line (e.g. <c>! server full</c>) instead of serving the client.</summary>
public sealed class ServerRefusedException : IOException
{
    /// <summary>Initializes a new instance of the <see cref="ServerRefusedException"/> class.</summary>
    public ServerRefusedException(string reason)
        : base(reason)
    {
        Reason = reason;
    }

    /// <summary>Initializes a new instance of the <see cref="ServerRefusedException"/> class.</summary>
    public ServerRefusedException()
        : this("refused")
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ServerRefusedException"/> class.</summary>
    public ServerRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
        Reason = message;
    }

    /// <summary>Gets the failure reason: a short, fixed text such as <c>server full</c>.</summary>
    public string Reason { get; }
}
