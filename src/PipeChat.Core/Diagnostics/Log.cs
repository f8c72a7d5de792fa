using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace PipeChat.Diagnostics;

/// <summary>Source-generated log messages: no boxing or formatting unless the level is on.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Warning, "accept failed: {Error} ({Suppressed} more since the last report)")]
    public static partial void AcceptFailed(ILogger logger, SocketError error, long suppressed);

    [LoggerMessage(2, LogLevel.Error, "connection ended by a fault in the protocol session")]
    public static partial void SessionFault(ILogger logger, Exception error);

    [LoggerMessage(3, LogLevel.Warning, "UDP receive failed: {Error} ({Suppressed} more since the last report)")]
    public static partial void UdpReceiveFailed(ILogger logger, SocketError error, long suppressed);

    [LoggerMessage(4, LogLevel.Warning, "UDP send failed: {Error} ({Suppressed} more since the last report)")]
    public static partial void UdpSendFailed(ILogger logger, SocketError error, long suppressed);

    [LoggerMessage(5, LogLevel.Information, "connection from {Address} refused: {Limit} reached ({Suppressed} more refused since the last report)")]
    public static partial void ConnectionRejected(ILogger logger, string address, string limit, long suppressed);

    [LoggerMessage(6, LogLevel.Warning, "accepting paused: {Cause} ({Suppressed} more pauses since the last report)")]
    public static partial void AcceptBackoff(ILogger logger, string cause, long suppressed);

    [LoggerMessage(40, LogLevel.Information, "limit hit: {Limit} ({Count} so far; logged at most once a second)")]
    public static partial void LimitHit(ILogger logger, string limit, long count);

    [LoggerMessage(7, LogLevel.Information, "chat: member {Name} cut off as too slow ({Suppressed} more since the last such line)")]
    public static partial void MemberCutOff(ILogger logger, string name, long suppressed);

    [LoggerMessage(8, LogLevel.Information, "UDP chat: datagram from {Address} dropped over --max-line-rate ({Suppressed} more since the last such line)")]
    public static partial void UdpRateLimited(ILogger logger, string address, long suppressed);

    [LoggerMessage(50, LogLevel.Information, "TLS handshake failed: {Reason}: {Error} ({Suppressed} more since the last such line)")]
    public static partial void TlsHandshakeFailed(ILogger logger, string reason, string error, long suppressed);

    [LoggerMessage(51, LogLevel.Information, "TLS certificate reloaded from {Path}: thumbprint {Thumbprint}, valid until {NotAfter:u}")]
    public static partial void TlsReloaded(ILogger logger, string path, string thumbprint, DateTime notAfter);

    [LoggerMessage(52, LogLevel.Error, "TLS certificate reload failed, keeping the certificate {Thumbprint}: {Error}")]
    public static partial void TlsReloadFailed(ILogger logger, string error, string thumbprint);

    [LoggerMessage(53, LogLevel.Information, "TLS: idle connections keep their OpenSSL record buffers (about 17 KB each): SSL_MODE_RELEASE_BUFFERS cannot be set with this runtime")]
    public static partial void TlsBuffersKept(ILogger logger);
}
