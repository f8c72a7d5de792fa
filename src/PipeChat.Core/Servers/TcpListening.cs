using Microsoft.Extensions.Logging;
using PipeChat.Diagnostics;
using PipeChat.Protocols;

namespace PipeChat.Servers;

/// <summary>
/// What every TCP model (async, threads, iterative) holds alike on its listening side: the bound
/// listening socket (TCP or Unix), the admission of each accepted client (the limits), the backoff
/// of the accept loop, and the stop that closes the listener and tells the protocol once.
/// </summary>
internal sealed class TcpListening(ServerSettings settings, IStreamProtocol protocol, ServerStats stats, ILogger logger)
{
    private int _stopped;

    public BoundListener Bound { get; } = Listener.OpenStream(settings);

    public Admission Admission { get; } = new(settings, protocol.ServerFullReply, stats, logger);

    public AcceptBackoff Backoff { get; } = new(stats, logger);

    /// <summary>Whether <see cref="Stop"/> ran.</summary>
    public bool Stopped => Volatile.Read(ref _stopped) != 0;

    /// <summary>Closes the listener (accepts end) and, the first time, tells the protocol the server is stopping.</summary>
    public void Stop()
    {
        Bound.Dispose();
        if (Interlocked.Exchange(ref _stopped, 1) == 0)
        {
            protocol.OnServerStopping();
        }
    }
}
