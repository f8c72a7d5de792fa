using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging.Abstractions;
using PipeChat.Diagnostics;
using PipeChat.Protocols;
using PipeChat.Protocols.Echo;
using PipeChat.Servers;
using PipeChat.Transport;
using PipeChat.Transport.Tls;

namespace PipeChat.Tests.Support;

/// <summary>TLS for tests: certificates made in-process (written to temp PEM files), TLS servers of every model, TLS clients.</summary>
public static class TestTls
{
    /// <summary>A self-signed ECDSA P-256 certificate for 127.0.0.1 and localhost (or localhost alone), as PEM files in a fresh temp folder.</summary>
    public sealed class CertificateFiles : IDisposable
    {
        private readonly bool _forAddress;

        public CertificateFiles(string name = "pipechat-test", bool forAddress = true)
        {
            _forAddress = forAddress;
            Folder = Directory.CreateTempSubdirectory("pipechat-tls-").FullName;
            CertificatePath = Path.Combine(Folder, "cert.pem");
            KeyPath = Path.Combine(Folder, "key.pem");
            Write(name);
        }

        public string Folder { get; }

        public string CertificatePath { get; }

        public string KeyPath { get; }

        public string Thumbprint { get; private set; } = "";

        /// <summary>Makes a new certificate (a new key too) and overwrites the files.</summary>
        public void Write(string name)
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
            var san = new SubjectAlternativeNameBuilder();
            if (_forAddress)
            {
                san.AddIpAddress(IPAddress.Loopback);
            }

            san.AddDnsName("localhost");
            request.CertificateExtensions.Add(san.Build());
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
            File.WriteAllText(CertificatePath, certificate.ExportCertificatePem());
            File.WriteAllText(KeyPath, key.ExportPkcs8PrivateKeyPem());
            Thumbprint = certificate.Thumbprint;
        }

        public void Dispose()
        {
            try
            {
                Directory.Delete(Folder, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    internal static TlsLayer Layer(CertificateFiles files, TimeSpan? handshakeTimeout = null) =>
        new(new TlsCertificateStore(files.CertificatePath, files.KeyPath), new TlsStats(), NullLogger.Instance)
        {
            HandshakeTimeout = handshakeTimeout ?? TimeSpan.FromSeconds(10),
        };

    internal static IServer StartTcp(TcpModel model, TlsLayer layer, IStreamProtocol? protocol = null, int maxConnections = 10_000, TimeSpan? linger = null)
    {
        var settings = new ServerSettings
        {
            EndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            MaxConnections = maxConnections,
            Transport = new TransportOptions { Io = model.Io },
            Layers = new ConnectionLayers(layer),
            LingerTimeout = linger ?? new ServerSettings().LingerTimeout,
        };
        var server = ModelRegistry.Of(model.Model).CreateTcp(settings, protocol ?? EchoProtocol.Instance, NullLogger.Instance);
        server.Start();
        return server;
    }

    /// <summary>An async-model TLS server on TCP loopback or, with <paramref name="unixPath"/>, on a Unix socket at that path.</summary>
    internal static AsyncTcpServer StartAsyncModel(TlsLayer layer, IStreamProtocol? protocol = null, SocketIoKind io = SocketIoKind.Epoll, string? unixPath = null)
    {
        var settings = new ServerSettings
        {
            EndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            UnixPath = unixPath,
            Transport = new TransportOptions { Io = io },
            Layers = new ConnectionLayers(layer),
        };
        var server = new AsyncTcpServer(settings, protocol ?? EchoProtocol.Instance, NullLogger.Instance);
        server.Start();
        return server;
    }

    /// <summary>Where a client reaches <paramref name="server"/>: its Unix socket when it was given one, else its TCP end point.</summary>
    internal static EndPoint EndPointOf(IServer server, string? unixPath) =>
        unixPath is null ? server.LocalEndPoint : new UnixDomainSocketEndPoint(unixPath);

    /// <summary>A TLS client over a connected socket; accepts any server certificate, records the one it saw.</summary>
    public sealed class Client : IAsyncDisposable
    {
        private static readonly TimeSpan OpTimeout = TimeSpan.FromSeconds(20);

        private Client(Socket socket, SslStream stream)
        {
            Socket = socket;
            Stream = stream;
        }

        public Socket Socket { get; }

        public SslStream Stream { get; }

        public string Thumbprint => Stream.RemoteCertificate is X509Certificate2 c ? c.Thumbprint : new X509Certificate2(Stream.RemoteCertificate!).Thumbprint;

        /// <summary>
        /// Connects over TCP or a Unix socket (<see cref="UnixDomainSocketEndPoint"/>) and handshakes;
        /// <paramref name="wrap"/>, when given, puts a stream of the test's between the socket and TLS.
        /// </summary>
        public static async Task<Client> ConnectAsync(EndPoint endPoint, Func<Stream, Stream>? wrap = null)
        {
            var socket = endPoint is UnixDomainSocketEndPoint
                ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
                : new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            using var timeout = new CancellationTokenSource(OpTimeout);
            await socket.ConnectAsync(endPoint, timeout.Token);
            Stream transport = new NetworkStream(socket, ownsSocket: true);
            var ssl = new SslStream(wrap is null ? transport : wrap(transport));
            await ssl.AuthenticateAsClientAsync(
                new SslClientAuthenticationOptions
                {
                    TargetHost = "localhost",
#pragma warning disable CA5359 // Test client: the tests check the thumbprint the server presented themselves.
                    RemoteCertificateValidationCallback = static (_, _, _, _) => true,
#pragma warning restore CA5359
                },
                timeout.Token);
            return new Client(socket, ssl);
        }

        public async Task SendAsync(ReadOnlyMemory<byte> data)
        {
            using var timeout = new CancellationTokenSource(OpTimeout);
            await Stream.WriteAsync(data, timeout.Token);
        }

        public Task SendAsync(string text) => SendAsync(System.Text.Encoding.UTF8.GetBytes(text));

        /// <summary>Sends <paramref name="text"/> and reads as many bytes back.</summary>
        public async Task<string> EchoAsync(string text)
        {
            var sent = System.Text.Encoding.UTF8.GetBytes(text);
            await SendAsync(sent);
            return System.Text.Encoding.UTF8.GetString(await ReceiveExactlyAsync(sent.Length));
        }

        public async Task<byte[]> ReceiveExactlyAsync(int length)
        {
            var buffer = new byte[length];
            using var timeout = new CancellationTokenSource(OpTimeout);
            await Stream.ReadExactlyAsync(buffer, timeout.Token);
            return buffer;
        }

        /// <summary>Reads lines until one matches; returns it.</summary>
        public async Task<string> ReadLineUntilAsync(Func<string, bool> match)
        {
            using var timeout = new CancellationTokenSource(OpTimeout);
            var line = new List<byte>();
            var one = new byte[1];
            while (true)
            {
                if (await Stream.ReadAsync(one, timeout.Token) == 0)
                {
                    throw new EndOfStreamException("EOF before the expected line");
                }

                if (one[0] != '\n')
                {
                    line.Add(one[0]);
                    continue;
                }

                var text = System.Text.Encoding.UTF8.GetString([.. line]);
                line.Clear();
                if (match(text))
                {
                    return text;
                }
            }
        }

        /// <summary>Reads to the end of the stream; the bytes read.</summary>
        public async Task<byte[]> ReadToEndAsync()
        {
            using var timeout = new CancellationTokenSource(OpTimeout);
            using var all = new MemoryStream();
            await Stream.CopyToAsync(all, timeout.Token);
            return all.ToArray();
        }

        public async ValueTask DisposeAsync() => await Stream.DisposeAsync();
    }
}
