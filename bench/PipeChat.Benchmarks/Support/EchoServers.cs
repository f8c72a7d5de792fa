using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using PipeChat.Servers;
using PipeChat.Protocols.Echo;

namespace PipeChat.Benchmarks.Support;

/// <summary>In-process echo servers on 127.0.0.1, port 0, for each connection model.</summary>
internal static class EchoServers
{
    /// <summary>How long a stopping server may drain before it aborts what is left.</summary>
    public static readonly TimeSpan StopDrain = TimeSpan.FromSeconds(2);

    public static IServer Start(ConnectionModel model, PipeChat.Transport.SocketIoKind io = PipeChat.Transport.SocketIoKind.Auto)
    {
        var settings = new ServerSettings
        {
            EndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            Transport = new PipeChat.Transport.TransportOptions { Io = io },
        };
        var server = ModelRegistry.Of(model).CreateTcp(settings, EchoProtocol.Instance, NullLogger.Instance);
        server.Start();
        return server;
    }

    /// <summary>Stops a server (clients should be closed first) and waits for it, bounded.</summary>
    public static void Stop(IServer? server)
    {
        if (server is null)
        {
            return;
        }

        if (!server.StopAsync(StopDrain).Wait(StopDrain + TimeSpan.FromSeconds(10)))
        {
            throw new TimeoutException("Echo server did not stop.");
        }
    }
}
