using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using PipeChat.Tests.Support;

namespace PipeChat.Tests.Chat.Integration;

/// <summary>
/// A UDP chat participant on its own loopback port: sends datagrams to the server and reads
/// its replies with a timeout (a background pump moves them into a channel).
/// </summary>
internal sealed partial class UdpChatTestClient : IDisposable
{
    private readonly Socket _socket;
    private readonly Channel<byte[]> _datagrams = Channel.CreateUnbounded<byte[]>();
    private readonly CancellationTokenSource _stop = new(TimeSpan.FromMinutes(2));

    public UdpChatTestClient(IPEndPoint server)
    {
        _socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _socket.Connect(server);
        _ = Task.Run(PumpAsync);
    }

    public string Name { get; private set; } = "?";

    public Task SendAsync(string datagram) => SendAsync(Encoding.UTF8.GetBytes(datagram));

    public async Task SendAsync(byte[] datagram)
    {
        using var timeout = new CancellationTokenSource(Wait.Default);
        await _socket.SendAsync(datagram, SocketFlags.None, timeout.Token);
    }

    /// <summary>The next datagram without its final <c>\n</c> (which every server datagram must have).</summary>
    public async Task<string> ReceiveAsync(TimeSpan? timeout = null) =>
        Encoding.UTF8.GetString(await ReceiveBytesAsync(timeout));

    /// <summary>The next datagram's bytes as sent, without the final <c>\n</c>.</summary>
    public async Task<byte[]> ReceiveBytesAsync(TimeSpan? timeout = null)
    {
        var wait = timeout ?? Wait.Default;
        using var deadline = new CancellationTokenSource(wait);
        byte[] datagram;
        try
        {
            datagram = await _datagrams.Reader.ReadAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{Name}: no datagram within {wait.TotalSeconds:0.#} s");
        }

        Assert.True(datagram.Length > 0 && datagram[^1] == (byte)'\n', $"{Name}: datagram without final newline: '{Encoding.UTF8.GetString(datagram)}'");
        return datagram[..^1];
    }

    public async Task<string?> TryReceiveAsync(TimeSpan timeout)
    {
        try
        {
            return await ReceiveAsync(timeout);
        }
        catch (TimeoutException)
        {
            return null;
        }
    }

    public async Task ExpectAsync(string expected)
    {
        var datagram = await ReceiveAsync();
        Assert.True(expected == datagram, $"{Name}: expected '{expected}', got '{datagram}'");
    }

    /// <summary>Sends <c>#REG [name]</c> and checks the reply; returns the registered name.</summary>
    public async Task<string> RegisterAsync(string? name = null)
    {
        await SendAsync(name is null ? "#REG" : $"#REG {name}");
        var reply = await ReceiveAsync();
        var match = RegisteredRegex().Match(reply);
        Assert.True(match.Success, $"expected '* registered NAME', got '{reply}'");
        if (name is not null)
        {
            Assert.Equal(name, match.Groups[1].Value);
        }

        Name = match.Groups[1].Value;
        return Name;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _socket.Dispose();
        _stop.Dispose();
    }

    [GeneratedRegex(@"^\* registered (\S+)$")]
    private static partial Regex RegisteredRegex();

    private async Task PumpAsync()
    {
        var buffer = new byte[65_536];
        try
        {
            while (true)
            {
                int count;
                try
                {
                    count = await _socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
                {
                    continue; // A late ICMP report; the next datagram may still come.
                }

                _datagrams.Writer.TryWrite(buffer[..count]);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            _datagrams.Writer.TryComplete();
        }
    }
}
