using System.Globalization;
using System.Net;
using System.Net.Sockets;
using PipeChat.Hosting;

namespace PipeChat.Clients;

/// <summary>Parses the clients' HOST:PORT (or unix:PATH) argument.</summary>
public static class ClientEndPoint
{
    /// <summary>The prefix of a Unix domain socket address, as in <c>unix:/run/pipechat/chat.sock</c>.</summary>
    public const string UnixPrefix = "unix:";

    /// <summary>HOST:PORT as <see cref="Parse"/>, or <c>unix:PATH</c> as a <see cref="UnixDomainSocketEndPoint"/>.</summary>
    public static EndPoint ParseServer(string? value, int defaultPort)
    {
        if (value is not null && value.Trim().StartsWith(UnixPrefix, StringComparison.Ordinal))
        {
            var path = value.Trim()[UnixPrefix.Length..];
            if (path.Length == 0 || path.Contains('\0', StringComparison.Ordinal) || System.Text.Encoding.UTF8.GetByteCount(path) > 107)
            {
                throw new UsageException($"invalid address '{value}': expected unix:PATH with a path of 1 to 107 bytes");
            }

            return new UnixDomainSocketEndPoint(path);
        }

        return Parse(value, defaultPort);
    }

    /// <summary>How the clients name a server in messages: tcp://HOST:PORT, tls://HOST:PORT, udp://HOST:PORT or unix:PATH.</summary>
    public static string Describe(EndPoint server, bool udp, bool tls = false) =>
        server is UnixDomainSocketEndPoint ? UnixPrefix + server : $"{(udp ? "udp" : tls ? "tls" : "tcp")}://{server}";

    /// <summary>HOST of <c>HOST:PORT</c> when it is a name rather than an IP address (only <c>localhost</c> is accepted), else null.</summary>
    public static string? HostName(string? value)
    {
        var text = value?.Trim();
        if (string.IsNullOrEmpty(text) || text.StartsWith(UnixPrefix, StringComparison.Ordinal))
        {
            return null;
        }

        var colon = text.LastIndexOf(':');
        var host = colon >= 0 ? text[..colon] : text;
        return string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase) ? host : null;
    }

    /// <summary>The name a TLS client checks the server's certificate for: the IP address, or <c>localhost</c> over a Unix socket.</summary>
    internal static string TlsHost(EndPoint server) => server is IPEndPoint ip ? ip.Address.ToString() : "localhost";

    /// <summary>Why connecting failed, in a few words (a Unix path that does not exist reads as such).</summary>
    internal static string Reason(SocketException e, EndPoint server) =>
        server is UnixDomainSocketEndPoint && e.SocketErrorCode == SocketError.AddressNotAvailable ? "no such socket file" : EchoClient.Describe(e);

    /// <summary>A socket for <paramref name="server"/>: TCP, UDP or a Unix stream socket.</summary>
    internal static Socket SocketFor(EndPoint server, bool udp) => server is UnixDomainSocketEndPoint
        ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
        : new Socket(server.AddressFamily, udp ? SocketType.Dgram : SocketType.Stream, udp ? ProtocolType.Udp : ProtocolType.Tcp);

    /// <summary>Parses <c>HOST:PORT</c>, <c>HOST</c> or <c>PORT</c> (loopback by default, <paramref name="defaultPort"/> when none is given).</summary>
    public static IPEndPoint Parse(string? value, int defaultPort)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return new IPEndPoint(IPAddress.Loopback, defaultPort);
        }

        var text = value.Trim();
        if (IPEndPoint.TryParse(text, out var endPoint) && (text.Contains(':', StringComparison.Ordinal) || endPoint.Port != 0))
        {
            if (endPoint.Port == 0 && !text.EndsWith(":0", StringComparison.Ordinal))
            {
                endPoint.Port = defaultPort;
            }

            return endPoint;
        }

        var colon = text.LastIndexOf(':');
        var host = colon >= 0 ? text[..colon] : text;
        var port = defaultPort;
        if (colon >= 0 && (!int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535))
        {
            throw new UsageException($"invalid address '{value}': expected HOST:PORT with a port from 1 to 65535");
        }

        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return new IPEndPoint(IPAddress.Loopback, port);
        }

        return IPAddress.TryParse(host.Trim('[', ']'), out var address)
            ? new IPEndPoint(address, port)
            : throw new UsageException($"invalid address '{value}': expected an IP address such as 127.0.0.1 or [::1]");
    }
}
