using System.Globalization;

namespace PipeChat.LoadTests.Compare;

/// <summary>One reading of /proc/PID/status and /proc/PID/stat.</summary>
/// <param name="RssKb">VmRSS in KiB.</param>
/// <param name="HwmKb">VmHWM (peak RSS) in KiB.</param>
/// <param name="Threads">The thread count.</param>
/// <param name="CpuTicks">utime + stime in clock ticks.</param>
public sealed record ProcStatus(long RssKb, long HwmKb, int Threads, long CpuTicks)
{
    /// <summary>Clock ticks per second of /proc/PID/stat times (USER_HZ, 100 on Linux).</summary>
    public const double TicksPerSecond = 100;

    /// <summary>Reads the status of <paramref name="pid"/>, or null when it is gone.</summary>
    public static ProcStatus? Read(int pid)
    {
        try
        {
            var status = File.ReadAllText($"/proc/{pid}/status");
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return Parse(status, stat);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Parses the text of /proc/PID/status and /proc/PID/stat.</summary>
    public static ProcStatus Parse(string status, string stat)
    {
        ArgumentNullException.ThrowIfNull(status);
        ArgumentNullException.ThrowIfNull(stat);
        long rss = 0, hwm = 0;
        int threads = 0;
        foreach (var line in status.Split('\n'))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = FirstNumber(line);
            }
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                hwm = FirstNumber(line);
            }
            else if (line.StartsWith("Threads:", StringComparison.Ordinal))
            {
                threads = (int)FirstNumber(line);
            }
        }

        // fields after the command name "(...)": state is field 3, utime 14, stime 15
        long cpu = 0;
        int close = stat.LastIndexOf(')');
        if (close >= 0)
        {
            var fields = stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length > 12 &&
                long.TryParse(fields[11], NumberStyles.None, CultureInfo.InvariantCulture, out long utime) &&
                long.TryParse(fields[12], NumberStyles.None, CultureInfo.InvariantCulture, out long stime))
            {
                cpu = utime + stime;
            }
        }

        return new ProcStatus(rss, hwm, threads, cpu);
    }

    private static long FirstNumber(string line)
    {
        var digits = new string(line.SkipWhile(c => !char.IsAsciiDigit(c)).TakeWhile(char.IsAsciiDigit).ToArray());
        return long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long v) ? v : 0;
    }
}
