using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using PipeChat.Diagnostics;
using PipeChat.Tests.Support;
using PipeChat.Transport.Tls;

namespace PipeChat.Tests.Tls;

/// <summary>
/// Idle TLS connections give OpenSSL's record buffers back: the layer sets SSL_MODE_RELEASE_BUFFERS
/// on every authenticated connection (docs/measurements.md: about 14 KiB less per idle connection),
/// and .NET's memory BIOs give back the buffers they kept from the handshake (about 1.3 KiB).
/// </summary>
public sealed class TlsReleaseBuffersTests : IDisposable
{
    private readonly TestTls.CertificateFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_layer_sets_release_buffers_on_each_connection_and_data_still_flows(bool release)
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // SslStream runs on OpenSSL on Linux only.
        }

        var layer = new TlsLayer(new TlsCertificateStore(_files.CertificatePath, _files.KeyPath), new TlsStats(), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance) { ReleaseBuffers = release };
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var connecting = TestTls.Client.ConnectAsync((IPEndPoint)listener.LocalEndPoint!);
        using var accepted = await listener.AcceptAsync().WaitAsync(Wait.Default);
        var opened = (SslStream)await layer.OpenAsync(new NetworkStream(accepted, ownsSocket: false), CancellationToken.None).WaitAsync(Wait.Default);
        await using var client = await connecting.WaitAsync(Wait.Default);

        Assert.Equal(release, OpenSslReleaseBuffers.IsSet(opened));

        // The memory BIOs gave back what they kept from the handshake (else they hold its flights).
        var capacity = OpenSslHandshakeBuffers.Capacity(opened);
        if (release)
        {
            Assert.Equal(0, capacity);
        }
        else
        {
            Assert.True(capacity > 256, $"BIO buffers after the handshake: {capacity} B");
        }

        // Records both ways after the buffers were let go (idle between them), larger than one record too.
        for (var round = 0; round < 3; round++)
        {
            var data = new byte[round == 2 ? 40_000 : 64];
            Random.Shared.NextBytes(data);
            await client.SendAsync(data);
            var received = new byte[data.Length];
            await opened.ReadExactlyAsync(received).AsTask().WaitAsync(Wait.Default);
            await opened.WriteAsync(received).AsTask().WaitAsync(Wait.Default);
            Assert.Equal(data, await client.ReceiveExactlyAsync(data.Length));
        }

        await opened.DisposeAsync();
    }
}
