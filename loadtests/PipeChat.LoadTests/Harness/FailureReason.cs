using System.Collections.Concurrent;
using System.Net.Sockets;

namespace PipeChat.LoadTests.Harness;

/// <summary>Short, fixed failure reasons, so failures are counted by kind.</summary>
public static class FailureReason
{
    /// <summary>An operation did not finish within its timeout.</summary>
    public const string Timeout = "timeout";

    /// <summary>The peer closed the connection.</summary>
    public const string Closed = "closed by peer";

    /// <summary>Echoed bytes differ from the bytes sent.</summary>
    public const string Mismatch = "echo mismatch";

    /// <summary>Connecting failed.</summary>
    public const string Connect = "connect failed";

    private static readonly ConcurrentDictionary<SocketError, string> SocketReasons = new();

    /// <summary>Maps an exception to a reason.</summary>
    public static string Of(Exception exception) => exception switch
    {
        TimeoutException => Timeout,
        Sockets.ServerRefusedException r => r.Reason,
        SocketException s => SocketReasons.GetOrAdd(s.SocketErrorCode, static code => "socket " + code),
        EndOfStreamException => Closed,
        InvalidDataException => Mismatch,
        IOException { InnerException: SocketException s } => SocketReasons.GetOrAdd(s.SocketErrorCode, static code => "socket " + code),
        ObjectDisposedException => "socket disposed",
        _ => exception.GetType().Name,
    };
}
