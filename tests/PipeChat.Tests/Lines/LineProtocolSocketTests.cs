using System.Text;
using PipeChat.Tests.Support;

namespace PipeChat.Tests.Lines;

/// <summary>A <see cref="PipeChat.Protocols.Lines.LineProtocol"/> served by every connection model over a real socket.</summary>
public sealed class LineProtocolSocketTests
{
    [Theory]
    [MemberData(nameof(TestServers.TcpEchoModels), MemberType = typeof(TestServers))]
    public async Task Every_model_serves_reversed_lines_and_closes_on_request(TcpModel model)
    {
        await using var server = TestServers.StartTcp(model, new ReverseProtocol());
        using var client = await TestClient.ConnectAsync(server.LocalEndPoint);

        // Split mid-line so a line reaches the protocol in pieces.
        await client.SendAsync("hello, wor");
        await client.SendAsync("ld\r\nsecond\nquit\n");
        var reply = Encoding.ASCII.GetString(await client.ReceiveToEndAsync());
        Assert.Equal("dlrow ,olleh\ndnoces\nbye\n", reply);
    }

    [Theory]
    [MemberData(nameof(TestServers.TcpEchoModels), MemberType = typeof(TestServers))]
    public async Task Every_model_closes_a_connection_sending_a_too_long_line(TcpModel model)
    {
        await using var server = TestServers.StartTcp(model, new ReverseProtocol(maxLineLength: 64));
        using var client = await TestClient.ConnectAsync(server.LocalEndPoint);

        await client.SendAsync("fine\n" + new string('x', 1000));
        var reply = Encoding.ASCII.GetString(await client.ReceiveToEndAsync());
        Assert.Equal("enif\n! too long\n", reply);
    }
}
