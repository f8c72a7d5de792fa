using System.Diagnostics;

namespace PipeChat.LoadTests.Harness;

/// <summary>The load generator's own CPU use: <see cref="Process.TotalProcessorTime"/> over wall time.</summary>
public sealed class CpuMeter
{
    private TimeSpan _cpu;
    private long _wall;

    /// <summary>Initializes a new instance of the <see cref="CpuMeter"/> class, starting now.</summary>
    public CpuMeter() => Restart();

    /// <summary>Gets the CPU time this process has used so far.</summary>
    public static TimeSpan ProcessCpuTime()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime;
    }

    /// <summary>Starts a new measurement window.</summary>
    public void Restart()
    {
        _cpu = ProcessCpuTime();
        _wall = Stopwatch.GetTimestamp();
    }

    /// <summary>Gets the CPU use since the window started, in percent of one core (can exceed 100).</summary>
    public double PercentSinceStart()
    {
        var wall = Stopwatch.GetElapsedTime(_wall);
        return wall <= TimeSpan.Zero ? 0 : 100.0 * (ProcessCpuTime() - _cpu).TotalSeconds / wall.TotalSeconds;
    }

    /// <summary>Returns <see cref="PercentSinceStart"/> and starts a new window.</summary>
    public double TakeWindow()
    {
        var value = PercentSinceStart();
        Restart();
        return value;
    }
}
