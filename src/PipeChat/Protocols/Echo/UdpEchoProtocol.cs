using System.Net;

namespace PipeChat.Protocols.Echo;

/// <summary>UDP echo (SPEC §5): each datagram back, unchanged, to where it came from.</summary>
public sealed class UdpEchoProtocol : IDatagramProtocol
{
    /// <summary>The shared instance.</summary>
    public static readonly UdpEchoProtocol Instance = new();

    private UdpEchoProtocol()
    {
    }

    /// <inheritdoc />
    public bool AllowsConcurrentDatagrams => true;

    /// <inheritdoc />
    public string Name => "echo";

    /// <inheritdoc />
    public TimeSpan? TickInterval => null;

    /// <inheritdoc />
    public void OnDatagram(ReadOnlySpan<byte> datagram, SocketAddress from, IDatagramOutput output) =>
        output.SendTo(datagram, from);

    /// <inheritdoc />
    public void OnTick(IDatagramOutput output)
    {
    }

    /// <inheritdoc />
    public void OnShutdown(IDatagramOutput output)
    {
    }
}
