using Microsoft.Extensions.Logging;
using PipeChat.Servers;
using PipeChat.Protocols;

namespace PipeChat.Tests.Registries;

/// <summary>A trivial model: blocking connections served on thread-pool threads.</summary>
internal sealed class PoolTcpServer(ServerSettings settings, IStreamProtocol protocol, ILogger logger)
    : BlockingTcpServer(settings, protocol, logger)
{
    protected override bool TryDispatch(Action serve) =>
        ThreadPool.UnsafeQueueUserWorkItem(static serve => serve(), serve, preferLocal: false);
}
