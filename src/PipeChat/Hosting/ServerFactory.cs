using System.Net;
using Microsoft.Extensions.Logging;
using PipeChat.Models;
using PipeChat.Protocols;
using PipeChat.Protocols.Chat;
using PipeChat.Protocols.Echo;

namespace PipeChat.Hosting;

/// <summary>The one place that pairs a protocol with a connection model.</summary>
public static class ServerFactory
{
    /// <summary>Creates and binds the server described by <paramref name="options"/>.</summary>
    public static IServer Create(PipeChatOptions options, ILoggerFactory loggers)
    {
        var settings = new ServerSettings
        {
            EndPoint = new IPEndPoint(options.Host, options.Port),
            MaxConnections = options.MaxConnections,
        };
        var logger = loggers.CreateLogger("PipeChat.Server");

        if (options.Udp)
        {
            return new UdpServer(settings, DatagramProtocol(options), options.Model, logger);
        }

        var protocol = StreamProtocol(options);
        return options.Model switch
        {
            ConnectionModel.Iterative => new IterativeTcpServer(settings, protocol, logger),
            ConnectionModel.Threads => new ThreadedTcpServer(settings, protocol, logger),
            _ => new AsyncTcpServer(settings, protocol, logger),
        };
    }

    private static IStreamProtocol StreamProtocol(PipeChatOptions options) => options.Protocol switch
    {
        ProtocolKind.Echo => EchoProtocol.Instance,
        _ => new ChatProtocol(new ChatLimits
        {
            MaxLine = options.MaxLine,
            MaxPendingOutput = options.MaxPendingOutput,
            IdleTimeout = options.IdleTimeout,
        }),
    };

    private static IDatagramProtocol DatagramProtocol(PipeChatOptions options) => options.Protocol switch
    {
        ProtocolKind.Echo => UdpEchoProtocol.Instance,
        _ => new UdpChatProtocol(options.MaxConnections, options.MaxLine, options.IdleTimeout),
    };
}
