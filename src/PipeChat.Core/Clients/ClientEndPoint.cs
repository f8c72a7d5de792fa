using System.Globalization;
using System.Net;
using PipeChat.Hosting;

namespace PipeChat.Clients;

/// <summary>Parses the clients' HOST:PORT argument.</summary>
public static class ClientEndPoint
{
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
