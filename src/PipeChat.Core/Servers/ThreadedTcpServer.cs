using Microsoft.Extensions.Logging;
using PipeChat.Protocols;

namespace PipeChat.Servers;

/// <summary>One dedicated OS thread per connection (ThreadingMixIn with daemon threads).</summary>
public sealed class ThreadedTcpServer(ServerSettings settings, IStreamProtocol protocol, ILogger logger)
    : BlockingTcpServer(settings, protocol, logger)
{
    // Small stacks: thousands of connection threads must not reserve gigabytes.
    private const int StackSize = 256 * 1024;

    /// <inheritdoc/>
    protected override int AcceptBatch => 64;

    /// <inheritdoc/>
    protected override bool TryDispatch(Action serve)
    {
        var thread = new Thread(() => serve(), StackSize) { IsBackground = true, Name = "pipechat-conn" };
        try
        {
            thread.Start();
            return true;
        }
        catch (OutOfMemoryException)
        {
            // What Start throws when the runtime cannot create a thread, e.g. out of descriptors.
            return false;
        }
    }
}
