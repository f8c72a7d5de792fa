using System.Net;
using System.Net.Sockets;

namespace PipeChat.Benchmarks.Support;

/// <summary>A connected loopback TCP pair, made with a throw-away listener.</summary>
internal static class SocketPair
{
    public static (Socket Client, Socket Server) Create()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var timeout = new CancellationTokenSource(EchoClients.Timeout);
            var accept = listener.AcceptAsync(timeout.Token).AsTask();
            client.ConnectAsync(listener.LocalEndPoint!, timeout.Token).AsTask().GetAwaiter().GetResult();
            var server = accept.GetAwaiter().GetResult();
            server.NoDelay = true;
            return (client, server);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }
}
