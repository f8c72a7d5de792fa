using Microsoft.Extensions.Logging;
using PipeChat.Protocols;

namespace PipeChat.Servers;

/// <summary>One client at a time, served on the accept thread (socketserver.TCPServer).</summary>
public sealed class IterativeTcpServer(ServerSettings settings, IStreamProtocol protocol, ILogger logger)
    : BlockingTcpServer(settings, protocol, logger)
{
    /// <inheritdoc/>
    protected override bool TryDispatch(Action serve)
    {
        serve();
        return true;
    }
}
