using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PipeChat.Diagnostics;

namespace PipeChat.Protocols.Chat;

/// <summary>UDP chat (docs/protocols.md) as a datagram protocol over <see cref="UdpChatRegistry{TKey}"/>.</summary>
public sealed class UdpChatProtocol : IDatagramProtocol
{
    private readonly UdpChatRegistry<SocketAddress> _registry;
    private readonly TimeSpan _idleTimeout;
    private readonly ILogger _logger;
    private readonly LogLimiter _dropLog;

    [ThreadStatic]
    private static List<UdpChatReply<SocketAddress>>? t_replies;

    /// <summary>Creates the protocol; <paramref name="maxLineRate"/> is datagrams per address per second (0 = unlimited).</summary>
    public UdpChatProtocol(
        int maxRegistrations,
        int maxLine,
        TimeSpan idleTimeout,
        int maxLineRate = 0,
        ILogger? logger = null,
        TimeProvider? time = null)
    {
        _idleTimeout = idleTimeout;
        _logger = logger ?? NullLogger.Instance;
        _dropLog = new LogLimiter(time);

        // The model reuses its SocketAddress for every datagram: the registry keeps copies.
        _registry = new UdpChatRegistry<SocketAddress>(
            maxRegistrations, cloneKey: Clone, maxMessage: maxLine, time: time, maxLineRate: maxLineRate)
        {
            RegistrationsRefused = new LimitCounter("max-connections (UDP registrations)", logger, time),
            LinesTooLong = new LimitCounter("max line", logger, time),
            IdleTimeouts = new LimitCounter("idle timeout", logger, time),
        };
    }

    private long _relayed;

    /// <summary>Member messages relayed (each counted once, however many recipients).</summary>
    public long LinesRelayed => Interlocked.Read(ref _relayed);

    /// <summary>Registrations held now.</summary>
    public int Count => _registry.Count;

    /// <summary>Datagrams dropped by the flood limits (see <see cref="UdpChatRegistry{TKey}.DatagramsDropped"/>).</summary>
    public long DatagramsDropped => _registry.DatagramsDropped;

    /// <summary><c>#REG</c> refused because <c>--max-connections</c> registrations are held.</summary>
    public LimitCounter RegistrationsRefused => _registry.RegistrationsRefused;

    /// <summary>Registrations dropped for silence.</summary>
    public LimitCounter IdleTimeouts => _registry.IdleTimeouts;

    /// <summary>Datagrams refused as longer than <c>--max-line</c> (or than a UDP payload once relayed).</summary>
    public LimitCounter LinesTooLong => _registry.LinesTooLong;

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
        if (!_registry.OnDatagram(from, datagram, replies) && _dropLog.TryLog(out long suppressed))
        {
            Log.UdpRateLimited(_logger, Describe(from), suppressed);
        }

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
        _registry.ExpireIdle(_idleTimeout, replies);
        Send(replies, output);
    }

    /// <inheritdoc />
    public void OnShutdown(IDatagramOutput output)
    {
        var replies = t_replies ??= [];
        _registry.BroadcastShutdown(replies);
        Send(replies, output);
    }

    private static string Describe(SocketAddress address) =>
        address.Family is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6
            ? new IPEndPoint(IPAddress.Any, 0).Create(address).ToString() ?? "?"
            : address.ToString();

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
