using System.Globalization;

namespace PipeChat.LoadTests.Compare;

/// <summary>
/// Finds which process of a process group owns the socket bound to a local port, so that
/// wrapper commands (<c>sh -c</c>, <c>dotnet run</c>) still sample the real server.
/// </summary>
public static class ListeningProcessFinder
{
    /// <summary>Returns the PID in <paramref name="processGroup"/> that holds the TCP listener (or UDP socket) on <paramref name="port"/>.</summary>
    public static int? Find(int port, bool udp, int processGroup)
    {
        var inodes = SocketInodes(port, udp);
        if (inodes.Count == 0)
        {
            return null;
        }

        foreach (var dir in SafeEnumerate("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) || ProcessGroupOf(pid) != processGroup)
            {
                continue;
            }

            foreach (var fd in SafeEnumerate($"/proc/{pid}/fd"))
            {
                string? target;
                try
                {
                    target = new FileInfo(fd).LinkTarget;
                }
                catch (IOException)
                {
                    continue;
                }
                catch (UnauthorizedAccessException)
                {
                    continue;
                }

                if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal) && inodes.Contains(target[8..^1]))
                {
                    return pid;
                }
            }
        }

        return null;
    }

    /// <summary>Reads the process group id of <paramref name="pid"/> from /proc/PID/stat.</summary>
    public static int? ProcessGroupOf(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return fields.Length > 2 && int.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out int pgid) ? pgid : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static HashSet<string> SocketInodes(int port, bool udp)
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        string hexPort = port.ToString("X4", CultureInfo.InvariantCulture);
        foreach (var file in udp ? new[] { "/proc/net/udp", "/proc/net/udp6" } : new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            string[] lines;
            try
            {
                lines = File.ReadAllLines(file);
            }
            catch (IOException)
            {
                continue;
            }

            foreach (var line in lines.Skip(1))
            {
                // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
                var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (f.Length > 9 && f[1].EndsWith(":" + hexPort, StringComparison.Ordinal) && (udp || f[3] == "0A"))
                {
                    result.Add(f[9]);
                }
            }
        }

        return result;
    }

    private static string[] SafeEnumerate(string directory)
    {
        try
        {
            return Directory.GetFileSystemEntries(directory);
        }
        catch (IOException)
        {
            return [];
        }
        catch (UnauthorizedAccessException)
        {
            return [];
        }
    }
}
