using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using PipeChat.Benchmarks.Support;
using PipeChat.Diagnostics;
using PipeChat.Protocols.Echo;
using PipeChat.Servers;
using PipeChat.Transport;
using PipeChat.Transport.Tls;

namespace PipeChat.Benchmarks;

/// <summary>
/// Steady-state cost of one message over TLS after the handshake: one TLS connection, one op = send
/// one message, read its echo back. <see cref="PipeChat"/> is the async model's TLS connection layer
/// with the default socket I/O (on Linux EpollStreamConnection over SslStream, else StreamConnection); <see cref="BareSslStream"/> is the same client against the
/// smallest possible SslStream echo (a read/write loop, nothing else), so its Allocated column is what
/// SslStream itself (client and server side) costs per message, and the difference is ours.
/// </summary>
/// <remarks>MemoryDiagnoser counts the whole process: client, server and the runtime's socket engine.</remarks>
[MemoryDiagnoser]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "BenchmarkDotNet owns the lifetime: [GlobalCleanup] disposes.")]
public class TlsEchoPerMessage
{
    private string _folder = null!;
    private IServer? _server;
    private Socket? _listener;
    private Task? _bareLoop;
    private SslStream? _client;
    private byte[] _message = null!;
    private byte[] _echo = null!;
    private CancellationTokenSource _deadline = null!;

    [Params(64, 4096)]
    public int MessageSize { get; set; }

    [GlobalSetup(Target = nameof(PipeChat))]
    public void SetupPipeChat()
    {
        var (certificate, key) = WriteCertificate();
        var layer = new TlsLayer(new TlsCertificateStore(certificate, key), new TlsStats(), NullLogger.Instance);
        var settings = new ServerSettings
        {
            EndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            Layers = new ConnectionLayers(layer),
        };
        _server = ModelRegistry.Of(ConnectionModel.Async).CreateTcp(settings, EchoProtocol.Instance, NullLogger.Instance);
        _server.Start();
        Connect(_server.LocalEndPoint);
    }

    [GlobalSetup(Target = nameof(BareSslStream))]
    public void SetupBare()
    {
        var (certificatePath, keyPath) = WriteCertificate();
        var options = TlsCertificateStore.Load(certificatePath, keyPath);
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen();
        _bareLoop = Task.Run(async () =>
        {
            using var socket = await _listener.AcceptAsync();
            socket.NoDelay = true;
            await using var ssl = new SslStream(new NetworkStream(socket, ownsSocket: true));
            await ssl.AuthenticateAsServerAsync(options);
            var buffer = new byte[16 * 1024];
            int count;
            while ((count = await ssl.ReadAsync(buffer)) > 0)
            {
                await ssl.WriteAsync(buffer.AsMemory(0, count));
            }
        });
        Connect((IPEndPoint)_listener.LocalEndPoint!);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _client?.Dispose();
        EchoServers.Stop(_server);
        _listener?.Dispose();
        _bareLoop?.Wait(EchoClients.Timeout);
        _deadline?.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Benchmark]
    public ValueTask<int> PipeChat() => RoundTrip();

    [Benchmark(Baseline = true)]
    public ValueTask<int> BareSslStream() => RoundTrip();

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> RoundTrip()
    {
        _deadline.CancelAfter(EchoClients.Timeout);
        var token = _deadline.Token;
        await _client!.WriteAsync(_message, token);
        var received = 0;
        while (received < _echo.Length)
        {
            var count = await _client.ReadAsync(_echo.AsMemory(received), token);
            if (count == 0)
            {
                throw new EndOfStreamException("The server closed the connection.");
            }

            received += count;
        }

        return received;
    }

    private (string Certificate, string Key) WriteCertificate()
    {
        _folder = Directory.CreateTempSubdirectory("pipechat-bench-tls-").FullName;
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var certificatePath = Path.Combine(_folder, "cert.pem");
        var keyPath = Path.Combine(_folder, "key.pem");
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return (certificatePath, keyPath);
    }

    private void Connect(IPEndPoint server)
    {
        _deadline = new CancellationTokenSource();
        _message = GC.AllocateArray<byte>(MessageSize, pinned: true);
        new Random(MessageSize).NextBytes(_message);
        _echo = GC.AllocateArray<byte>(MessageSize, pinned: true);
        var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var connect = new CancellationTokenSource(EchoClients.Timeout);
        socket.ConnectAsync(server, connect.Token).AsTask().GetAwaiter().GetResult();
        _client = new SslStream(new NetworkStream(socket, ownsSocket: true));
        _client.AuthenticateAsClientAsync(
            new SslClientAuthenticationOptions
            {
                TargetHost = "localhost",
#pragma warning disable CA5359 // A benchmark against its own in-process server.
                RemoteCertificateValidationCallback = static (_, _, _, _) => true,
#pragma warning restore CA5359
            },
            connect.Token).GetAwaiter().GetResult();
        RoundTrip().AsTask().GetAwaiter().GetResult();
        if (!_message.AsSpan().SequenceEqual(_echo))
        {
            throw new InvalidOperationException("The echo differs from what was sent.");
        }
    }
}
