using System.Net;
using Microsoft.Extensions.Logging;
using PipeChat.Diagnostics;
using PipeChat.Models;
using PipeChat.Protocols;
using PipeChat.Protocols.Chat;
using PipeChat.Protocols.Echo;

namespace PipeChat.Hosting;

/// <summary>A bound server with what it publishes to the meter.</summary>
public sealed record BuiltServer(IServer Server, MetricsSource Metrics);

/// <summary>The one place that pairs a protocol with a connection model.</summary>
public static class ServerFactory
{
    /// <summary>Creates and binds the server described by <paramref name="options"/>.</summary>
    public static BuiltServer Create(PipeChatOptions options, ILoggerFactory loggers)
    {
        var settings = new ServerSettings
        {
            EndPoint = new IPEndPoint(options.Host, options.Port),
            MaxConnections = options.MaxConnections,
            MaxConnectionsPerIp = options.MaxConnectionsPerIp,
            Keepalive = options.Keepalive,
            Transport = new Transport.TransportOptions { Io = options.Io },
        };
        var logger = loggers.CreateLogger("PipeChat.Server");
        var model = options.Model.ToString().ToLowerInvariant();
        var protocolName = options.Protocol.ToString().ToLowerInvariant();

        if (options.Udp)
        {
            IServer udp;
            MetricsSource udpMetrics;
            if (options.Protocol == ProtocolKind.Echo)
            {
                var echo = new UdpEchoProtocol();
                udp = new UdpServer(settings, echo, options.Model, logger);
                udpMetrics = Source(udp, model, protocolName, "udp") with { MessagesEchoed = () => echo.MessagesEchoed };
            }
            else
            {
                var chat = new UdpChatProtocol(options.MaxConnections, options.MaxLine, options.IdleTimeout, options.MaxLineRate, logger);
                udp = new UdpServer(settings, chat, options.Model, logger);
                udpMetrics = Source(udp, model, protocolName, "udp") with { LinesRelayed = () => chat.LinesRelayed, Registrations = () => chat.Count, DatagramsDropped = () => chat.DatagramsDropped };
            }

            return new BuiltServer(udp, udpMetrics);
        }

        IStreamProtocol protocol;
        Func<MetricsSource, MetricsSource> protocolMetrics;
        if (options.Protocol == ProtocolKind.Echo)
        {
            var echo = new EchoProtocol(options.IdleTimeout, logger: logger);
            protocol = echo;
            protocolMetrics = m => m with { MessagesEchoed = () => echo.MessagesEchoed, IdleTimeouts = () => echo.IdleTimeouts.Count };
        }
        else
        {
            var chat = new ChatProtocol(new ChatLimits
            {
                MaxLine = options.MaxLine,
                MaxPendingOutput = options.MaxPendingOutput,
                WakeCoalescing = options.WakeCoalescing,
                WakeScheduler = Transport.PreciseWakeScheduler.Shared,
                IdleTimeout = options.IdleTimeout,
                LineTimeout = options.LineTimeout,
                MaxLineRate = options.MaxLineRate,
                Logger = logger,
            });
            protocol = chat;
            protocolMetrics = m => m with
            {
                LinesRelayed = () => chat.Hub.LinesRelayed,
                MembersCutOff = () => chat.Hub.MembersCutOff,
                IdleTimeouts = () => chat.IdleTimeouts.Count,
                LineTimeouts = () => chat.LineTimeouts.Count,
                InputPauses = () => chat.LinesThrottled.Count,
            };
        }

        IServer server = options.Model switch
        {
            ConnectionModel.Iterative => new IterativeTcpServer(settings, protocol, logger),
            ConnectionModel.Threads => new ThreadedTcpServer(settings, protocol, logger),
            _ => new AsyncTcpServer(settings, protocol, logger),
        };
        return new BuiltServer(server, protocolMetrics(Source(server, model, protocolName, "tcp")));
    }

    private static MetricsSource Source(IServer server, string model, string protocol, string transport) => new()
    {
        Stats = server.Stats,
        Model = model,
        Protocol = protocol,
        Transport = transport,
    };
}
