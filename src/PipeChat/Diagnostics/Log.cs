using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace PipeChat.Diagnostics;

/// <summary>Source-generated log messages: no boxing or formatting unless the level is on.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Warning, "accept failed: {Error}")]
    public static partial void AcceptFailed(ILogger logger, SocketError error);

    [LoggerMessage(2, LogLevel.Error, "connection ended by a fault in the protocol session")]
    public static partial void SessionFault(ILogger logger, Exception error);

    [LoggerMessage(3, LogLevel.Warning, "UDP receive failed: {Error}")]
    public static partial void UdpReceiveFailed(ILogger logger, SocketError error);

    [LoggerMessage(4, LogLevel.Warning, "UDP send failed: {Error}")]
    public static partial void UdpSendFailed(ILogger logger, SocketError error);

    [LoggerMessage(5, LogLevel.Information, "chat: member {Name} cut off as too slow ({Suppressed} more since the last such line)")]
    public static partial void MemberCutOff(ILogger logger, string name, long suppressed);

    [LoggerMessage(6, LogLevel.Information, "UDP chat: datagram from {Address} dropped over --max-line-rate ({Suppressed} more since the last such line)")]
    public static partial void UdpRateLimited(ILogger logger, string address, long suppressed);
}
