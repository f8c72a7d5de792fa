using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using PipeChat.Hosting;

namespace PipeChat.Clients;

/// <summary>The failures both clients report alike: one line for stderr and the exit code.</summary>
internal static class ClientFailure
{
    /// <summary>False for an exception the clients do not report this way (it propagates).</summary>
    public static bool TryDescribe(Exception e, string address, EndPoint server, out string line, out int exitCode)
    {
        (line, exitCode) = e switch
        {
            SocketException socket => ($"pipechat: cannot reach {address}: {ClientEndPoint.Reason(socket, server)}", 1),
            UsageException usage => ($"pipechat: {usage.Message}", 2),
            AuthenticationException or IOException => ($"pipechat: TLS with {address} failed: {e.Message}", 1),
            _ => (string.Empty, 0),
        };
        return exitCode != 0;
    }
}
