using System.Globalization;
using System.Net;

namespace PipeChat.LoadTests.Sockets;

/// <summary>
/// Parses <c>host:port</c> targets. Only loopback addresses are accepted (<c>127.0.0.0/8</c>,
/// <c>::1</c>, <c>localhost</c>): load is never sent anywhere else.
/// </summary>
public static class TargetEndpoint
{
    /// <summary>Parses <c>127.0.0.1:7007</c>, <c>[::1]:7000</c>, <c>localhost:7007</c>.</summary>
    /// <exception cref="FormatException">Not <c>host:port</c>, or not a loopback address.</exception>
    public static IPEndPoint Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = text.Trim();
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
        {
            throw new FormatException($"target '{text}' is not HOST:PORT");
        }

        string host = text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }

        if (!int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
        {
            throw new FormatException($"target '{text}': port must be 1..65535");
        }

        IPAddress address;
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            address = IPAddress.Loopback;
        }
        else if (!IPAddress.TryParse(host, out address!))
        {
            throw new FormatException($"target '{text}': host must be an IP address or localhost");
        }

        if (!IPAddress.IsLoopback(address))
        {
            throw new FormatException($"target '{text}': only loopback addresses (127.0.0.1, ::1, localhost) may be load-tested");
        }

        return new IPEndPoint(address, port);
    }

    /// <summary>
    /// Parses <c>unix:PATH</c> (a Unix domain socket: local by nature) or, as <see cref="Parse"/>, a loopback HOST:PORT.
    /// </summary>
    /// <exception cref="FormatException">Neither.</exception>
    public static EndPoint ParseAny(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = text.Trim();
        if (text.StartsWith("unix:", StringComparison.Ordinal))
        {
            string path = text["unix:".Length..];
            return path.Length is > 0 and <= 107
                ? new System.Net.Sockets.UnixDomainSocketEndPoint(path)
                : throw new FormatException($"target '{text}': expected unix:PATH with a path of 1 to 107 bytes");
        }

        return Parse(text);
    }

    /// <summary>Formats an endpoint as <c>host:port</c> (IPv6 in brackets).</summary>
    public static string Format(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        return endPoint.ToString();
    }
}
