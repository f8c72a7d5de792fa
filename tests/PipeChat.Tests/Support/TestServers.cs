using PipeChat.Transport;
using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using PipeChat.Servers;
using PipeChat.Protocols;
using PipeChat.Protocols.Echo;

namespace PipeChat.Tests.Support;

/// <summary>In-process servers on 127.0.0.1 port 0 for each model.</summary>
public static class TestServers
{
    public static readonly ConnectionModel[] AllModels = [ConnectionModel.Iterative, ConnectionModel.Threads, ConnectionModel.Async];

    public static TheoryData<ConnectionModel> EchoModels() => new(AllModels);

    public static TheoryData<ConnectionModel> ConcurrentModels() => new(ConnectionModel.Threads, ConnectionModel.Async);

    public static TheoryData<TcpModel> TcpEchoModels() => new(TcpModel.Expand(AllModels));

    public static TheoryData<TcpModel> TcpConcurrentModels() => new(TcpModel.Expand([ConnectionModel.Threads, ConnectionModel.Async]));

    public static IServer StartTcp(ConnectionModel model, IStreamProtocol? protocol = null, int maxConnections = 10_000) =>
        StartTcp(new TcpModel(model), protocol, maxConnections);

    public static IServer StartTcp(TcpModel model, IStreamProtocol? protocol = null, int maxConnections = 10_000, int maxConnectionsPerIp = 0, TimeSpan? keepalive = null)
    {
        var settings = new ServerSettings
        {
            EndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            MaxConnections = maxConnections,
            MaxConnectionsPerIp = maxConnectionsPerIp,
            Keepalive = keepalive ?? new ServerSettings().Keepalive,
            Transport = new TransportOptions { Io = model.Io },
        };
        protocol ??= EchoProtocol.Instance;
        var server = ModelRegistry.Of(model.Model).CreateTcp(settings, protocol, NullLogger.Instance);
        if (server is AsyncTcpServer async && model.Io != SocketIoKind.Auto && async.Io != model.Io)
        {
            throw new InvalidOperationException($"asked for {model.Io} I/O, the server uses {async.Io}");
        }

        server.Start();
        return server;
    }

    /// <summary>A server of <paramref name="model"/> on a Unix domain stream socket at <paramref name="path"/>.</summary>
    public static IServer StartUnix(TcpModel model, string path, IStreamProtocol? protocol = null, int maxConnectionsPerIp = 0, int maxConnections = 10_000)
    {
        var settings = new ServerSettings
        {
            UnixPath = path,
            MaxConnections = maxConnections,
            MaxConnectionsPerIp = maxConnectionsPerIp,
            Transport = new TransportOptions { Io = model.Io },
        };
        var server = ModelRegistry.Of(model.Model).CreateTcp(settings, protocol ?? EchoProtocol.Instance, NullLogger.Instance);
        server.Start();
        return server;
    }

    /// <summary>A fresh socket path under the temp directory, short enough for sun_path.</summary>
    public static string UnixPath() => Path.Combine("/tmp", $"pipechat-test-{Guid.NewGuid():N}"[..26] + ".sock");

    public static IServer StartUdp(ConnectionModel model, IDatagramProtocol? protocol = null)
    {
        var settings = new ServerSettings { EndPoint = new IPEndPoint(IPAddress.Loopback, 0) };
        var server = ModelRegistry.Of(model).CreateUdp!(settings, protocol ?? UdpEchoProtocol.Instance, NullLogger.Instance);
        server.Start();
        return server;
    }

    public static byte[] RandomBytes(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }
}
