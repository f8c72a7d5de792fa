using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;

namespace PipeChat.Hosting;

/// <summary>Starts the bound server, announces it on stdout, and drains it on SIGINT/SIGTERM.</summary>
internal sealed class ServerHostedService(ServerHolder holder, PipeChatOptions options, TextWriter readyOutput) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var server = holder.Server ?? throw new InvalidOperationException("No server was bound.");
        server.Start();

        // SPEC §2: exactly one line on stdout once the socket is bound.
        readyOutput.WriteLine(ReadyLine(options, server.LocalEndPoint));
        readyOutput.Flush();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) =>
        holder.Server?.StopAsync(options.ShutdownTimeout) ?? Task.CompletedTask;

    public static string ReadyLine(PipeChatOptions options, IPEndPoint endPoint)
    {
        var protocol = options.Protocol.ToString().ToLowerInvariant();
        var model = options.Model.ToString().ToLowerInvariant();
        return $"pipechat {protocol} ({model}) listening on {options.Scheme}://{Format(endPoint)}";
    }

    public static string Format(IPEndPoint endPoint) =>
        endPoint.AddressFamily == AddressFamily.InterNetworkV6
            ? $"[{endPoint.Address}]:{endPoint.Port}"
            : $"{endPoint.Address}:{endPoint.Port}";
}
