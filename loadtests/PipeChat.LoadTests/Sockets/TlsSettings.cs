using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace PipeChat.LoadTests.Sockets;

/// <summary>
/// <c>--tls</c>: TCP connections speak TLS 1.2/1.3, verifying the server against the system roots,
/// a CA file (<c>--tls-ca</c>), or not at all (<c>--tls-insecure</c>).
/// </summary>
public sealed record TlsSettings
{
    /// <summary>Gets the PEM file of certificates to trust instead of the system roots.</summary>
    public string? CaFile { get; init; }

    /// <summary>Gets whether verification of the server's certificate is skipped.</summary>
    public bool Insecure { get; init; }

    /// <summary>Gets the name the server's certificate must have (default: the target's address).</summary>
    public string? TargetHost { get; init; }

    private X509Certificate2Collection? _trust;

    /// <summary>The handshake options for a connection to <paramref name="host"/>.</summary>
    public SslClientAuthenticationOptions ClientOptions(string host)
    {
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = TargetHost ?? host,
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        };
        if (Insecure)
        {
#pragma warning disable CA5359 // --tls-insecure: the user asked to skip verification.
            options.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
#pragma warning restore CA5359
        }
        else if (CaFile is not null)
        {
            if (_trust is null)
            {
                var trust = new X509Certificate2Collection();
                trust.ImportFromPemFile(CaFile);
                _trust = trust;
            }

            options.CertificateChainPolicy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                RevocationMode = X509RevocationMode.NoCheck,
            };
            options.CertificateChainPolicy.CustomTrustStore.AddRange(_trust);
        }

        return options;
    }
}
