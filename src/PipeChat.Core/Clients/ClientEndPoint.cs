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

        return ParseHostPort(value, defaultPort, allowNames: true);
    }

    /// <summary>How the clients name a server in messages: tcp://HOST:PORT, tls://HOST:PORT, udp://HOST:PORT or unix:PATH.</summary>
    public static string Describe(EndPoint server, bool udp, bool tls = false) => server switch
    {
        UnixDomainSocketEndPoint => UnixPrefix + server,
        DnsEndPoint name => $"{(udp ? "udp" : tls ? "tls" : "tcp")}://{name.Host}:{name.Port}",
        _ => $"{(udp ? "udp" : tls ? "tls" : "tcp")}://{server}",
    };

    /// <summary>HOST of <c>HOST:PORT</c> when it is a name (<c>localhost</c>, <c>chat.example.org</c>) rather than an IP address, else null.</summary>
    public static string? HostName(string? value)
    {
        var text = value?.Trim();
        if (string.IsNullOrEmpty(text) || text.StartsWith(UnixPrefix, StringComparison.Ordinal) || IPEndPoint.TryParse(text, out _))
        {
            return null;
        }

        var colon = text.LastIndexOf(':');
        var host = colon >= 0 ? text[..colon] : text;
        return Uri.CheckHostName(host) == UriHostNameType.Dns ? host : null;
    }

    /// <summary>The name a TLS client checks the server's certificate for: the host name or IP address, or <c>localhost</c> over a Unix socket.</summary>
    internal static string TlsHost(EndPoint server) => server switch
    {
        IPEndPoint ip => ip.Address.ToString(),
        DnsEndPoint name => name.Host,
        _ => "localhost",
    };

    /// <summary>
    /// A socket connected to <paramref name="server"/>; a host name is looked up and its addresses
    /// tried in the order the resolver gives them (IPv6 and IPv4 alike), the last failure reported.
    /// </summary>
    internal static async Task<Socket> ConnectAsync(EndPoint server, bool udp, CancellationToken cancellationToken)
    {
        if (server is not DnsEndPoint name)
        {
            return await ConnectOneAsync(server, udp, cancellationToken).ConfigureAwait(false);
        }

        var addresses = await Dns.GetHostAddressesAsync(name.Host, cancellationToken).ConfigureAwait(false);
        SocketException? last = null;
        foreach (var address in addresses)
        {
            try
            {
                return await ConnectOneAsync(new IPEndPoint(address, name.Port), udp, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                last = e;
            }
        }

        throw last ?? new SocketException((int)SocketError.HostNotFound);
    }

    /// <summary>Why connecting failed, in a few words (a Unix path that does not exist reads as such).</summary>
    internal static string Reason(SocketException e, EndPoint server) =>
        server is UnixDomainSocketEndPoint && e.SocketErrorCode == SocketError.AddressNotAvailable ? "no such socket file" : EchoClient.Describe(e);

    /// <summary>A socket for <paramref name="server"/> (an address, not a name): TCP, UDP or a Unix stream socket.</summary>
    internal static Socket SocketFor(EndPoint server, bool udp) => server is UnixDomainSocketEndPoint
        ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
        : new Socket(server.AddressFamily, udp ? SocketType.Dgram : SocketType.Stream, udp ? ProtocolType.Udp : ProtocolType.Tcp);

    private static async Task<Socket> ConnectOneAsync(EndPoint server, bool udp, CancellationToken cancellationToken)
    {
        var socket = SocketFor(server, udp);
        try
        {
            await socket.ConnectAsync(server, cancellationToken).ConfigureAwait(false);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Parses <c>HOST:PORT</c>, <c>HOST</c> or <c>PORT</c> with HOST an IP address or <c>localhost</c> (loopback by default, <paramref name="defaultPort"/> when none is given).</summary>
    public static IPEndPoint Parse(string? value, int defaultPort) => (IPEndPoint)ParseHostPort(value, defaultPort, allowNames: false);

    /// <summary>As <see cref="Parse"/>; with <paramref name="allowNames"/>, any other host name becomes a <see cref="DnsEndPoint"/> looked up when connecting.</summary>
    private static EndPoint ParseHostPort(string? value, int defaultPort, bool allowNames)
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

        if (IPAddress.TryParse(host.Trim('[', ']'), out var address))
        {
            return new IPEndPoint(address, port);
        }

        return allowNames && Uri.CheckHostName(host) == UriHostNameType.Dns
            ? new DnsEndPoint(host, port)
            : throw new UsageException(allowNames
                ? $"invalid address '{value}': expected a host name or an IP address such as 127.0.0.1 or [::1]"
                : $"invalid address '{value}': expected an IP address such as 127.0.0.1 or [::1]");
    }
}
