using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PipeChat.Hosting;

namespace PipeChat.Clients;

/// <summary>The clients' TLS: a handshake over a connected socket, verifying as <see cref="ClientTlsOptions"/> says.</summary>
internal static class ClientTls
{
    /// <summary>The stream the client talks on: the socket itself, or TLS over it.</summary>
    public static async Task<Stream> OpenAsync(Socket socket, ClientTlsOptions? tls, string host, CancellationToken cancellation)
    {
        var network = new NetworkStream(socket, ownsSocket: false);
        if (tls is null)
        {
            return network;
        }

        var ssl = new SslStream(network, leaveInnerStreamOpen: false);
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = host,
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        };
        if (tls.Insecure)
        {
#pragma warning disable CA5359 // --tls-insecure: the user asked to skip verification.
            options.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
#pragma warning restore CA5359
        }
        else if (tls.CaFile is { } caFile)
        {
            options.CertificateChainPolicy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                RevocationMode = X509RevocationMode.NoCheck,
            };
            options.CertificateChainPolicy.CustomTrustStore.AddRange(LoadCa(caFile));
        }

        try
        {
            await ssl.AuthenticateAsClientAsync(options, cancellation).ConfigureAwait(false);
        }
        catch
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return ssl;
    }

    /// <exception cref="UsageException">The CA file cannot be read or holds no certificate.</exception>
    public static X509Certificate2Collection LoadCa(string path)
    {
        var certificates = new X509Certificate2Collection();
        try
        {
            certificates.ImportFromPemFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new UsageException($"--tls-ca: cannot read {Path.GetFullPath(path)}: {(e is FileNotFoundException or DirectoryNotFoundException ? "no such file" : e.Message)}");
        }

        return certificates.Count > 0 ? certificates : throw new UsageException($"--tls-ca: no PEM certificate in {Path.GetFullPath(path)}");
    }
}
