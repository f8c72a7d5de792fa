using System.Diagnostics;
using System.Net.Security;
using System.Security.Authentication;
using Microsoft.Extensions.Logging;
using PipeChat.Diagnostics;

namespace PipeChat.Transport.Tls;

/// <summary>
/// TLS 1.2/1.3 as a connection layer: <see cref="SslStream"/> over the connection's stream, the
/// certificate from a <see cref="TlsCertificateStore"/> (reloadable), a bounded handshake, and
/// close_notify before the transport closes. Handshakes run on the connection's own task or
/// thread, never on an accept loop's (the iterative model's is bounded by <see cref="HandshakeTimeout"/>).
/// </summary>
internal sealed class TlsLayer(TlsCertificateStore certificates, TlsStats stats, ILogger logger) : IConnectionLayer
{
    private readonly LogThrottle _failureLog = new();
    private int _buffersKeptLogged;

    /// <summary>A client must complete its handshake this long after it connected, or it is dropped.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Whether idle connections give their OpenSSL record buffers back (<see cref="OpenSslReleaseBuffers"/>).</summary>
    public bool ReleaseBuffers { get; init; } = true;

    public TlsCertificateStore Certificates => certificates;

    public TlsStats Stats => stats;

    public string? Scheme => "tls";

    public async Task<Stream> OpenAsync(Stream inner, CancellationToken stopping)
    {
        var ssl = new ServerTlsStream(inner, stats);
        var started = Stopwatch.GetTimestamp();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        timeout.CancelAfter(HandshakeTimeout);
        try
        {
            await ssl.AuthenticateAsServerAsync(certificates.Options, timeout.Token).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Whatever a client sends, the handshake failing costs only its connection.
        catch (Exception e)
#pragma warning restore CA1031
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            var reason = e switch
            {
                OperationCanceledException when !stopping.IsCancellationRequested => TlsFailure.Timeout,
                AuthenticationException => TlsFailure.Protocol,
                _ => TlsFailure.Other,
            };
            stats.OnFailed(reason);
            if (_failureLog.TryLog(out var suppressed))
            {
                Log.TlsHandshakeFailed(logger, Describe(reason), e.Message, suppressed);
            }

            throw new ConnectionLayerException($"TLS handshake failed ({Describe(reason)})", e);
        }

        stats.OnHandshake(Stopwatch.GetElapsedTime(started));
        if (ReleaseBuffers && !OpenSslReleaseBuffers.TryApply(ssl) && Interlocked.Exchange(ref _buffersKeptLogged, 1) == 0)
        {
            Log.TlsBuffersKept(logger); // Once: connections work as before, with their buffers.
        }

        if (ReleaseBuffers)
        {
            OpenSslHandshakeBuffers.TryRelease(ssl); // Where it cannot, the BIOs keep their handshake buffers, as before.
        }

        ssl.Authenticated = true;
        return ssl;
    }

    public async ValueTask CloseAsync(Stream opened) => await ((SslStream)opened).ShutdownAsync().ConfigureAwait(false);

    public bool Reload()
    {
        try
        {
            certificates.Reload();
            stats.OnReload(ok: true);
            Log.TlsReloaded(logger, certificates.CertificatePath, certificates.Certificate.Thumbprint, certificates.Certificate.NotAfter);
            return true;
        }
        catch (TlsConfigurationException e)
        {
            stats.OnReload(ok: false);
            Log.TlsReloadFailed(logger, e.Message, certificates.Certificate.Thumbprint);
            return false;
        }
    }

    private static string Describe(TlsFailure reason) => reason switch
    {
        TlsFailure.Timeout => "timeout",
        TlsFailure.Protocol => "protocol",
        _ => "other",
    };

    /// <summary>The server's SslStream: counts itself out of the open TLS connections once disposed.</summary>
    private sealed class ServerTlsStream(Stream inner, TlsStats stats) : SslStream(inner, leaveInnerStreamOpen: true)
    {
        private int _closed;

        public bool Authenticated { get; set; }

        protected override void Dispose(bool disposing)
        {
            if (Authenticated && Interlocked.Exchange(ref _closed, 1) == 0)
            {
                stats.OnClosed();
            }

            base.Dispose(disposing);
        }

        public override async ValueTask DisposeAsync()
        {
            if (Authenticated && Interlocked.Exchange(ref _closed, 1) == 0)
            {
                stats.OnClosed();
            }

            await base.DisposeAsync().ConfigureAwait(false);
        }
    }
}
