using System.Net;
using System.Net.Sockets;
using System.Text;
using PipeChat.Clients;
using PipeChat.Hosting;
using PipeChat.Servers;
using PipeChat.Tests.Support;

namespace PipeChat.Tests.Clients;

/// <summary>docs/protocols.md, clients: HOST may be a host name, looked up when connecting, and TLS verifies that name.</summary>
public sealed class ClientHostNameTests
{
    [Fact]
    public void A_host_name_is_kept_as_a_name_and_named_as_typed()
    {
        var name = Assert.IsType<DnsEndPoint>(ClientEndPoint.ParseServer("chat.example.org:7100", 7000));
        Assert.Equal(("chat.example.org", 7100), (name.Host, name.Port));
        Assert.Equal(7000, Assert.IsType<DnsEndPoint>(ClientEndPoint.ParseServer("chat.example.org", 7000)).Port);
        Assert.Equal("tls://chat.example.org:7100", ClientEndPoint.Describe(name, udp: false, tls: true));
        Assert.Equal("udp://chat.example.org:7100", ClientEndPoint.Describe(name, udp: true));
        Assert.Equal("chat.example.org", ClientEndPoint.TlsHost(name));
        Assert.Equal("chat.example.org", ClientEndPoint.HostName("chat.example.org:7100"));
        Assert.Equal("localhost", ClientEndPoint.HostName("localhost:7100"));
        Assert.Null(ClientEndPoint.HostName("127.0.0.1:7100"));
        Assert.Null(ClientEndPoint.HostName("[::1]:7100"));

        // localhost stays 127.0.0.1, without a lookup.
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 7100), ClientEndPoint.ParseServer("localhost:7100", 7000));
    }

    [Theory]
    [InlineData("bad_host!:7000")]
    [InlineData("a b:7000")]
    [InlineData("chat.example.org:0")]
    [InlineData("chat.example.org:70000")]
    public void What_is_neither_an_address_nor_a_host_name_is_a_usage_error(string value)
    {
        Assert.Throws<UsageException>(() => ClientEndPoint.ParseServer(value, 7000));
    }

    [Fact]
    public void The_library_parser_still_takes_addresses_only()
    {
        var e = Assert.Throws<UsageException>(() => ClientEndPoint.Parse("chat.example.org:7000", 7000));
        Assert.Contains("expected an IP address", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_name_that_does_not_resolve_reads_as_such()
    {
        Assert.Equal("host name not found", EchoClient.Describe(new SocketException((int)SocketError.HostNotFound)));
    }

    [Fact]
    public async Task A_host_name_is_looked_up_and_connected_to()
    {
        await using var server = TestServers.StartTcp(ConnectionModel.Async);
        using var timeout = new CancellationTokenSource(Wait.Default);

        // Through the resolver (not the localhost shortcut of the parser): /etc/hosts has localhost everywhere.
        using var socket = await ClientEndPoint.ConnectAsync(new DnsEndPoint("localhost", server.LocalEndPoint.Port), udp: false, timeout.Token);

        await socket.SendAsync(Encoding.ASCII.GetBytes("hi\n"), SocketFlags.None, timeout.Token);
        var buffer = new byte[3];
        var received = 0;
        while (received < buffer.Length)
        {
            var count = await socket.ReceiveAsync(buffer.AsMemory(received), SocketFlags.None, timeout.Token);
            Assert.NotEqual(0, count);
            received += count;
        }

        Assert.Equal("hi\n", Encoding.ASCII.GetString(buffer));
    }

    [Fact]
    public async Task An_echo_client_reaches_a_server_by_host_name()
    {
        await using var server = TestServers.StartTcp(ConnectionModel.Threads);
        var output = new StringWriter();
        var error = new StringWriter();

        var code = await EchoClient.RunAsync(new DnsEndPoint("localhost", server.LocalEndPoint.Port), udp: false, new StringReader("one\ntwo\n"), output, error);

        Assert.True(code == 0, error.ToString());
        Assert.Equal("one\ntwo\n", output.ToString().ReplaceLineEndings("\n"));
    }
}
