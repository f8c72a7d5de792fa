using System.Net;

namespace PipeChat.Protocols.Echo;

/// <summary>UDP echo (docs/protocols.md): each datagram back, unchanged, to where it came from.</summary>
public sealed class UdpEchoProtocol : IDatagramProtocol
{
    /// <summary>A shared instance (tests, benchmarks); servers made by the factory get their own, for their own counters.</summary>
    public static readonly UdpEchoProtocol Instance = new();

    private long _datagrams;

    /// <summary>Datagrams echoed.</summary>
    public long MessagesEchoed => Interlocked.Read(ref _datagrams);

    /// <inheritdoc />
    public bool AllowsConcurrentDatagrams => true;

    /// <inheritdoc />
    public string Name => "echo";

    /// <inheritdoc />
    public TimeSpan? TickInterval => null;

    /// <inheritdoc />
    public void OnDatagram(ReadOnlySpan<byte> datagram, SocketAddress from, IDatagramOutput output)
    {
        output.SendTo(datagram, from);
        Interlocked.Increment(ref _datagrams);
    }

    /// <inheritdoc />
    public void OnTick(IDatagramOutput output)
    {
    }

    /// <inheritdoc />
    public void OnShutdown(IDatagramOutput output)
    {
    }
}
