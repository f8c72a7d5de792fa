using System.Net;
using Microsoft.Extensions.Logging;
using PipeChat.Diagnostics;
using PipeChat.Servers;

namespace PipeChat.Hosting;

/// <summary>
/// Pairs a protocol with a connection model: both come resolved in the options (registrations of
/// <see cref="ProtocolRegistry"/> and <see cref="ModelRegistry"/>), so nothing here knows any of them.
/// </summary>
public static class ServerFactory
{
    /// <summary>Creates and binds the server described by <paramref name="options"/>.</summary>
    public static BuiltServer Create(PipeChatOptions options, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggers);
        var tls = options.Tls ? CreateTls(options, loggers) : null;
        var settings = new ServerSettings
        {
            Layers = tls is null ? Transport.ConnectionLayers.None : new Transport.ConnectionLayers(tls),
            EndPoint = new IPEndPoint(options.Host, options.Port),
            MaxConnections = options.MaxConnections,
            MaxConnectionsPerIp = options.MaxConnectionsPerIp,
            Keepalive = options.Keepalive,
            Transport = new Transport.TransportOptions { Io = options.Io },
        };
        var logger = loggers.CreateLogger("PipeChat.Server");
        var model = options.Model;
        var protocol = options.Protocol;

        if (options.Udp)
        {
            var createDatagram = protocol.CreateDatagram ?? throw new UsageException($"--udp is not available for {protocol.Name}");
            var createUdp = model.CreateUdp ?? throw new UsageException($"--udp is not available for --model {model.Name}");
            var datagram = createDatagram(options, logger);
            var udp = createUdp(settings, datagram.Protocol, logger);
            return new BuiltServer(udp, Source(udp, model.Name, protocol.Name, "udp") with { Counters = datagram.Counters, Health = datagram.Health });
        }

        var stream = protocol.CreateStream(options, logger);
        var server = model.CreateTcp(settings, stream.Protocol, logger);
        var source = Source(server, model.Name, protocol.Name, "tcp") with { Counters = stream.Counters, Tls = tls?.Stats, Health = stream.Health };
        return new BuiltServer(server, source)
        {
            Layers = settings.Layers,
            Companion = (stream.Protocol as Protocols.Chat.ChatProtocol)?.Cluster,
        };
    }

    /// <exception cref="Transport.Tls.TlsConfigurationException">A file cannot be read or parsed.</exception>
    private static Transport.Tls.TlsLayer CreateTls(PipeChatOptions options, ILoggerFactory loggers) => new(
        new Transport.Tls.TlsCertificateStore(options.TlsCertificate!, options.TlsKey!),
        new TlsStats(),
        loggers.CreateLogger("PipeChat.Tls"));

    private static MetricsSource Source(IServer server, string model, string protocol, string transport) => new()
    {
        Stats = server.Stats,
        Model = model,
        Protocol = protocol,
        Transport = transport,
    };
}
