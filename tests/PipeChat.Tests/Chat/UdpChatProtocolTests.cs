using System.Net;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using PipeChat.Protocols;
using PipeChat.Protocols.Chat;

namespace PipeChat.Tests.Chat;

public class UdpChatProtocolTests
{
    [Fact]
    public void Rate_drops_are_logged_at_information_once_a_second_with_the_rest_counted()
    {
        var time = new FakeTimeProvider();
        var logger = new FakeLogger();
        var chat = new UdpChatProtocol(10, 4096, default, maxLineRate: 2, logger, time);
        var output = new Output();
        SocketAddress from = new IPEndPoint(IPAddress.Loopback, 5001).Serialize();

        for (int i = 0; i < 10; i++)
        {
            chat.OnDatagram("flood"u8, from, output);
        }

        Assert.Equal(8, chat.DatagramsDropped);
        var first = Assert.Single(logger.Collector.GetSnapshot());
        Assert.Equal(LogLevel.Information, first.Level);
        Assert.Contains("from 127.0.0.1:5001 dropped over --max-line-rate (0 more", first.Message, StringComparison.Ordinal);

        time.Advance(TimeSpan.FromSeconds(0.5));
        chat.OnDatagram("flood"u8, from, output); // a token came back: handled, not logged
        chat.OnDatagram("flood"u8, from, output);
        Assert.Equal(1, logger.Collector.Count);

        time.Advance(TimeSpan.FromSeconds(0.5));
        for (int i = 0; i < 3; i++)
        {
            chat.OnDatagram("flood"u8, from, output);
        }

        Assert.Equal(2, logger.Collector.Count);
        Assert.Contains("(8 more", logger.LatestRecord.Message, StringComparison.Ordinal);

        // The one address was told it is not registered once per second at most.
        Assert.Equal(["! not registered: send #REG [name]\n", "! not registered: send #REG [name]\n"], output.Sent);
    }

    private sealed class Output : IDatagramOutput
    {
        public List<string> Sent { get; } = [];

        public void SendTo(ReadOnlySpan<byte> datagram, SocketAddress destination) => Sent.Add(Encoding.UTF8.GetString(datagram));
    }
}
