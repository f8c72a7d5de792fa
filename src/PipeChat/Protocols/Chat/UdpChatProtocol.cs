using System.Diagnostics;
using System.Net;

namespace PipeChat.Protocols.Chat;

/// <summary>UDP chat (SPEC §7) as a datagram protocol over <see cref="UdpChatRegistry{TKey}"/>.</summary>
public sealed class UdpChatProtocol : IDatagramProtocol
{
    private readonly UdpChatRegistry<SocketAddress> _registry;
    private readonly TimeSpan _idleTimeout;
    private readonly long _start = Stopwatch.GetTimestamp();

    [ThreadStatic]
    private static List<UdpChatReply<SocketAddress>>? t_replies;

    public UdpChatProtocol(int maxRegistrations, int maxLine, TimeSpan idleTimeout)
    {
        _idleTimeout = idleTimeout;

        // The model reuses its SocketAddress for every datagram: the registry keeps copies.
        _registry = new UdpChatRegistry<SocketAddress>(maxRegistrations, cloneKey: Clone, maxMessage: maxLine);
    }

    private long _relayed;

    /// <summary>Member messages relayed (each counted once, however many recipients).</summary>
    public long LinesRelayed => Interlocked.Read(ref _relayed);

    /// <summary>Registrations held now.</summary>
    public int Count => _registry.Count;

    /// <inheritdoc />
    public bool AllowsConcurrentDatagrams => false;

    /// <inheritdoc />
    public string Name => "chat";

    /// <inheritdoc />
    public TimeSpan? TickInterval => _idleTimeout > TimeSpan.Zero
        ? TimeSpan.FromMilliseconds(Math.Clamp(_idleTimeout.TotalMilliseconds / 4, 50, 1000))
        : null;

    /// <inheritdoc />
    public void OnDatagram(ReadOnlySpan<byte> datagram, SocketAddress from, IDatagramOutput output)
    {
        var replies = t_replies ??= [];
        _registry.OnDatagram(from, datagram, Now, replies);
        if (replies.Count > 0 && replies[0].Message.Span[0] == (byte)'<')
        {
            Interlocked.Increment(ref _relayed);
        }

        Send(replies, output);
    }

    /// <inheritdoc />
    public void OnTick(IDatagramOutput output)
    {
        var replies = t_replies ??= [];
        _registry.ExpireIdle(Now, _idleTimeout, replies);
        Send(replies, output);
    }

    /// <inheritdoc />
    public void OnShutdown(IDatagramOutput output)
    {
        var replies = t_replies ??= [];
        _registry.BroadcastShutdown(replies);
        Send(replies, output);
    }

    private TimeSpan Now => Stopwatch.GetElapsedTime(_start);

    private static SocketAddress Clone(SocketAddress address)
    {
        var copy = new SocketAddress(address.Family, address.Size);
        address.Buffer.Span.CopyTo(copy.Buffer.Span);
        return copy;
    }

    private static void Send(List<UdpChatReply<SocketAddress>> replies, IDatagramOutput output)
    {
        try
        {
            foreach (var reply in replies)
            {
                output.SendTo(reply.Message.Span, reply.Destination);
            }
        }
        finally
        {
            foreach (var reply in replies)
            {
                reply.Message.Release();
            }

            replies.Clear();
        }
    }
}
