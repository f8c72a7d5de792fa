using System.Globalization;
using System.Net.Sockets;

namespace PipeChat.Hosting;

/// <summary>
/// systemd socket activation (sd_listen_fds): when LISTEN_PID is this process and LISTEN_FDS is 1
/// or more, the socket at descriptor 3 is already bound and is served instead of binding. The
/// variables are removed once read (sd_listen_fds(1)), so a process started from this one does not
/// take them for its own. Only descriptor 3 is used; further ones are left alone.
/// </summary>
internal static class SocketActivation
{
    /// <summary>The first passed descriptor (SD_LISTEN_FDS_START).</summary>
    public const int FirstDescriptor = 3;

    /// <summary>Whether the environment passes sockets to this process.</summary>
    public static bool IsActivated(out int count)
    {
        count = 0;
        return int.TryParse(Environment.GetEnvironmentVariable("LISTEN_PID"), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
            && pid == Environment.ProcessId
            && int.TryParse(Environment.GetEnvironmentVariable("LISTEN_FDS"), NumberStyles.None, CultureInfo.InvariantCulture, out count)
            && count >= 1;
    }

    /// <summary>
    /// The passed socket, checked against what the server serves (a stream socket, or a UDP socket
    /// with <paramref name="udp"/>); null without socket activation.
    /// </summary>
    /// <exception cref="ListenException">The descriptor is not a socket, or not the kind the server serves.</exception>
    public static Socket? Take(bool udp)
    {
        if (!IsActivated(out _))
        {
            return null;
        }

        Environment.SetEnvironmentVariable("LISTEN_PID", null);
        Environment.SetEnvironmentVariable("LISTEN_FDS", null);
        Environment.SetEnvironmentVariable("LISTEN_FDNAMES", null);
        Socket socket;
        try
        {
            socket = new Socket(new SafeSocketHandle(FirstDescriptor, ownsHandle: true));
        }
        catch (SocketException e)
        {
            throw new ListenException($"socket activation: descriptor {FirstDescriptor} is not a usable socket ({e.Message})");
        }

        var kind = Describe(socket);
        var fits = udp
            ? socket.SocketType == SocketType.Dgram && socket.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6
            : socket.SocketType == SocketType.Stream && socket.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6 or AddressFamily.Unix;
        if (!fits)
        {
            socket.Dispose();
            var wanted = udp ? "a UDP socket (--udp)" : "a TCP or Unix stream socket";
            throw new ListenException($"socket activation: descriptor {FirstDescriptor} is {kind}, this server needs {wanted}");
        }

        return socket;
    }

    private static string Describe(Socket socket) => (socket.AddressFamily, socket.SocketType) switch
    {
        (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6, SocketType.Stream) => "a TCP socket",
        (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6, SocketType.Dgram) => "a UDP socket",
        (AddressFamily.Unix, SocketType.Stream) => "a Unix stream socket",
        (AddressFamily.Unix, SocketType.Dgram) => "a Unix datagram socket",
        var (family, type) => $"a {family} {type} socket",
    };
}
