using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using PipeChat.Connections;
using PipeChat.Diagnostics;

namespace PipeChat.Servers;

/// <summary>
/// Who gets in, the same for every TCP model: the per-client-address cap
/// (--max-connections-per-ip, counted here) beside the registry's --max-connections, the reply to
/// a client over either cap (chat: "! server full"), and the socket options of an admitted
/// connection (no delay, keepalive). Rejections are counted per reason and logged at most once a
/// second per reason.
/// </summary>
internal sealed class Admission
{
    private readonly int _maxPerIp;
    private readonly int _keepaliveSeconds;
    private readonly byte[] _fullReply;
    private readonly LayeredRefusal? _layeredRefusal;
    private readonly ServerStats _stats;
    private readonly ILogger _logger;
    private readonly LogThrottle _maxConnectionsLog;
    private readonly LogThrottle _perIpLog;
    private readonly Lock _lock = new();

    // Open connections per client address; an address leaves when its count drops to 0, so the
    // table never holds more entries than there are open connections.
    private readonly Dictionary<ClientAddress, int> _perIp = [];

    public Admission(ServerSettings settings, ReadOnlySpan<byte> fullReply, ServerStats stats, ILogger logger, TimeProvider? time = null)
    {
        _maxPerIp = settings.MaxConnectionsPerIp;
        _keepaliveSeconds = (int)settings.Keepalive.TotalSeconds;
        // Over a connection layer (TLS) the reply travels inside it (LayeredRefusal), never as plain text.
        _fullReply = settings.Layers.IsEmpty ? fullReply.ToArray() : [];
        _layeredRefusal = settings.Layers.IsEmpty || fullReply.IsEmpty ? null : new LayeredRefusal(settings.Layers, fullReply.ToArray());
        _stats = stats;
        _logger = logger;
        time ??= TimeProvider.System;
        _maxConnectionsLog = new LogThrottle(time, TimeSpan.FromSeconds(1));
        _perIpLog = new LogThrottle(time, TimeSpan.FromSeconds(1));
    }

    /// <summary>
    /// Admits an accepted socket into <paramref name="connections"/>, the same for every TCP
    /// model: the per-IP cap, a slot (--max-connections), the socket options. A rejected socket
    /// is answered and closed; false means the socket is gone. <paramref name="id"/> and
    /// <paramref name="address"/> are what <see cref="OnClosed"/> needs.
    /// </summary>
    public bool TryAdmit<T>(Socket socket, ConnectionRegistry<T> connections, out long id, out ClientAddress? address)
        where T : class, IDrainable
    {
        id = -1;
        if (!TryAdmitAddress(socket, out address))
        {
            Reject(socket, RejectReason.PerIp);
            return false;
        }

        id = connections.TryReserve();
        if (id < 0)
        {
            Release(address);
            Reject(socket, RejectReason.MaxConnections);
            return false;
        }

        try
        {
            Configure(socket);
        }
        catch (SocketException)
        {
            // Reset before we got to it: nothing to serve.
            connections.Remove(id);
            Release(address);
            socket.Dispose();
            return false;
        }

        _stats.OnAccepted();
        return true;
    }

    /// <summary>The end of an admitted connection: its fault logged, its slot and address count given back, counted.</summary>
    public void OnClosed<T>(ConnectionRegistry<T> connections, long id, ClientAddress? address, Exception? fault)
        where T : class, IDrainable
    {
        if (fault is not null)
        {
            Log.SessionFault(_logger, fault);
        }

        connections.Remove(id);
        Release(address);
        _stats.OnClosed();
    }

    /// <summary>
    /// Counts the socket's client address, unless it already holds --max-connections-per-ip.
    /// <paramref name="address"/> is what <see cref="Release"/> needs when the connection ends
    /// (null: not counted, the cap is off or the socket has no IP peer).
    /// </summary>
    public bool TryAdmitAddress(Socket socket, out ClientAddress? address)
    {
        address = null;
        if (_maxPerIp <= 0 || !IsIp(socket) || ClientAddress.Of(socket) is not { } key)
        {
            return true;
        }

        if (!TryCount(key))
        {
            return false;
        }

        address = key;
        return true;
    }

    /// <summary>Counts one more connection of <paramref name="key"/>, unless it holds the cap already.</summary>
    internal bool TryCount(ClientAddress key)
    {
        lock (_lock)
        {
            ref var count = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_perIp, key, out _);
            if (count >= _maxPerIp)
            {
                return false;
            }

            count++;
            return true;
        }
    }

    /// <summary>Gives back what <see cref="TryAdmitAddress"/> counted.</summary>
    public void Release(ClientAddress? address)
    {
        if (address is not { } key)
        {
            return;
        }

        lock (_lock)
        {
            ref var count = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrNullRef(_perIp, key);
            if (!System.Runtime.CompilerServices.Unsafe.IsNullRef(ref count) && --count <= 0)
            {
                _perIp.Remove(key);
            }
        }
    }

    /// <summary>Client addresses holding connections now (for tests: the table stays bounded).</summary>
    public int TrackedAddresses
    {
        get
        {
            lock (_lock)
            {
                return _perIp.Count;
            }
        }
    }

    /// <summary>Closes a connection over a cap: the protocol's "full" reply first (chat), then EOF.</summary>
    public void Reject(Socket socket, RejectReason reason)
    {
        _stats.OnRejected(reason);
        var throttle = reason == RejectReason.PerIp ? _perIpLog : _maxConnectionsLog;
        if (throttle.TryLog(out var suppressed))
        {
            var from = !IsIp(socket) ? "unix" : socket.RemoteEndPoint is IPEndPoint endPoint ? endPoint.Address.ToString() : "?";
            Log.ConnectionRejected(_logger, from, reason == RejectReason.PerIp ? "max-connections-per-ip" : "max-connections", suppressed);
        }

        if (_layeredRefusal?.TryStart(socket) == true)
        {
            return;
        }

        try
        {
            if (_fullReply.Length > 0)
            {
                // A fresh socket's send buffer is empty: this never waits.
                socket.Send(_fullReply, SocketFlags.None, out _);
            }

            socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The client is gone already.
        }
        finally
        {
            socket.Dispose();
        }
    }

    /// <summary>Socket options of every admitted connection.</summary>
    public void Configure(Socket socket)
    {
        if (!IsIp(socket))
        {
            return; // A Unix socket: no Nagle, no keepalive to set.
        }

        socket.NoDelay = true;
        if (_keepaliveSeconds > 0)
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, _keepaliveSeconds);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, KeepaliveInterval);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, KeepaliveProbes);
        }
    }

    /// <summary>Whether the socket talks IP (TCP): per-IP limits, keepalive and no-delay apply only then.</summary>
    private static bool IsIp(Socket socket) => socket.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6;

    /// <summary>Seconds between keepalive probes once the idle time has passed.</summary>
    public const int KeepaliveInterval = 10;

    /// <summary>Unanswered probes before the peer is declared dead.</summary>
    public const int KeepaliveProbes = 6;
}
