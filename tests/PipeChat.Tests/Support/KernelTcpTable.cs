using System.Globalization;

namespace PipeChat.Tests.Support;

/// <summary>
/// Reads /proc/net/tcp (Linux) to see a socket as the kernel does: its pending timer tells
/// whether keepalive is on (timer 2 is the keepalive timer of an established, idle socket).
/// </summary>
public static class KernelTcpTable
{
    /// <summary>(timer kind, seconds until it fires) of the IPv4 socket local:remote, or null if not found.</summary>
    public static (int Timer, double Seconds)? TimerOf(int localPort, int remotePort)
    {
        foreach (var line in File.ReadLines("/proc/net/tcp").Skip(1))
        {
            // sl local_address rem_address st tx_queue:rx_queue tr:tm->when ...
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (Port(fields[1]) != localPort || Port(fields[2]) != remotePort)
            {
                continue;
            }

            var timer = fields[5].Split(':');
            var ticks = long.Parse(timer[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            return (int.Parse(timer[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture), ticks / 100.0); // USER_HZ
        }

        return null;
    }

    private static int Port(string address) =>
        int.Parse(address[(address.IndexOf(':', StringComparison.Ordinal) + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
}
