using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace PipeChat.Transport.Tls;

/// <summary>
/// The server certificate (PEM chain and key, read from two files) as the handshake options every
/// new TLS connection uses. <see cref="Reload"/> reads the same files again and swaps the options
/// atomically: new connections get the new certificate, open ones keep theirs; if the files fail to
/// load, the old certificate stays.
/// </summary>
internal sealed class TlsCertificateStore
{
    private SslServerAuthenticationOptions _options;

    /// <exception cref="TlsConfigurationException">A file cannot be read or parsed (the message names it).</exception>
    public TlsCertificateStore(string certificatePath, string keyPath)
    {
        CertificatePath = Path.GetFullPath(certificatePath);
        KeyPath = Path.GetFullPath(keyPath);
        _options = Load(CertificatePath, KeyPath);
    }

    public string CertificatePath { get; }

    public string KeyPath { get; }

    /// <summary>The handshake options for a new connection now.</summary>
    public SslServerAuthenticationOptions Options => Volatile.Read(ref _options);

    /// <summary>The certificate new connections get.</summary>
    public X509Certificate2 Certificate => Options.ServerCertificateContext!.TargetCertificate;

    /// <summary>Reads the files again and swaps them in.</summary>
    /// <exception cref="TlsConfigurationException">They failed to load: the old certificate stays.</exception>
    public void Reload() => Volatile.Write(ref _options, Load(CertificatePath, KeyPath));

    /// <summary>Reads a PEM certificate chain and its private key into handshake options.</summary>
    public static SslServerAuthenticationOptions Load(string certificatePath, string keyPath)
    {
        var certificatePem = Read(certificatePath, "certificate");
        var keyPem = Read(keyPath, "key");
        var chain = new X509Certificate2Collection();
        try
        {
            chain.ImportFromPem(certificatePem);
        }
        catch (CryptographicException e)
        {
            throw new TlsConfigurationException($"TLS certificate {certificatePath}: not a PEM certificate ({e.Message})", e);
        }

        if (chain.Count == 0)
        {
            throw new TlsConfigurationException($"TLS certificate {certificatePath}: no PEM certificate in it");
        }

        X509Certificate2 leaf;
        try
        {
            leaf = X509Certificate2.CreateFromPem(certificatePem, keyPem);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            throw new TlsConfigurationException($"TLS key {keyPath}: not a PEM private key of the certificate in {certificatePath} ({e.Message})", e);
        }

        var intermediates = new X509Certificate2Collection();
        for (var i = 1; i < chain.Count; i++)
        {
            intermediates.Add(chain[i]);
        }

        SslStreamCertificateContext context;
        try
        {
            context = SslStreamCertificateContext.Create(leaf, intermediates, offline: true);
        }
        catch (Exception e) when (e is CryptographicException or NotSupportedException or ArgumentException)
        {
            throw new TlsConfigurationException($"TLS certificate {certificatePath}: unusable ({e.Message})", e);
        }

        return new SslServerAuthenticationOptions
        {
            ServerCertificateContext = context,
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            ClientCertificateRequired = false,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            AllowRenegotiation = false,
        };
    }

    private static string Read(string path, string what)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new TlsConfigurationException($"cannot read TLS {what} {path}: {Reason(e, path)}", e);
        }
    }

    // Opening a directory fails as access denied: name what it is instead.
    private static string Reason(Exception e, string path) => e switch
    {
        UnauthorizedAccessException when Directory.Exists(path) => "a directory, not a file",
        FileNotFoundException or DirectoryNotFoundException => "no such file",
        UnauthorizedAccessException => "permission denied",
        _ => e.Message,
    };
}
