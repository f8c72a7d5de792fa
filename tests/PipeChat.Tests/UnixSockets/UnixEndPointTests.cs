using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using PipeChat.Clients;
using PipeChat.Hosting;
using PipeChat.Tests.Support;

namespace PipeChat.Tests.UnixSockets;

/// <summary>unix:PATH for clients, --unix through the options, the ready line and the metrics' transport.</summary>
public sealed class UnixEndPointTests
{
    [Fact]
    public void Clients_take_unix_paths_beside_host_and_port()
    {
        var unix = Assert.IsType<UnixDomainSocketEndPoint>(ClientEndPoint.ParseServer("unix:/run/pipechat/chat.sock", 7000));
        Assert.Equal("/run/pipechat/chat.sock", unix.ToString());
        Assert.Equal("unix:/run/pipechat/chat.sock", ClientEndPoint.Describe(unix, udp: false));
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 7000), ClientEndPoint.ParseServer(null, 7000));
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 9), ClientEndPoint.ParseServer("127.0.0.1:9", 7000));
        Assert.Throws<UsageException>(() => ClientEndPoint.ParseServer("unix:", 7000));
        Assert.Throws<UsageException>(() => ClientEndPoint.ParseServer("unix:/" + new string('x', 200), 7000));
    }

    [Fact]
    public void A_unix_path_too_long_for_a_socket_address_is_a_usage_error()
    {
        var e = Assert.Throws<UsageException>(() => Resolve(("Unix", "/tmp/" + new string('x', 120))));
        Assert.Contains("--unix", e.Message, StringComparison.Ordinal);
        Assert.Equal("/tmp/a.sock", Resolve(("Unix", "/tmp/a.sock")).Unix);
    }

    [Fact]
    public async Task A_unix_server_reads_unix_in_its_ready_line_and_metrics()
    {
        var path = TestServers.UnixPath();
        try
        {
            var options = Resolve(("Unix", path));
            var built = ServerFactory.Create(options, NullLoggerFactory.Instance);
            await using (built.Server)
            {
                Assert.Equal("unix", built.Metrics.Transport);
                var ready = ServerHostedService.ReadyLine(options, ServerFactory.ListenEndPointOf(built.Server));
                Assert.Equal($"pipechat echo (async) listening on unix:{path}", ready);
            }

            Assert.False(File.Exists(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static PipeChatOptions Resolve(params (string Key, string Value)[] values)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>("PipeChat:" + v.Key, v.Value)))
            .Build();
        return OptionsResolver.Resolve(ProtocolKind.Echo, configuration);
    }
}
