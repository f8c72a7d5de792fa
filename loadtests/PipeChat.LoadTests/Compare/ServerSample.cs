namespace PipeChat.LoadTests.Compare;

/// <summary>What the sampler saw of the server process during one run (from /proc/PID/status and stat).</summary>
/// <param name="BaselineRssKb">VmRSS just before the load started.</param>
/// <param name="PeakRssKb">The largest VmRSS sampled during the run.</param>
/// <param name="HwmKb">VmHWM (peak RSS since the process started) at the end of the run.</param>
/// <param name="MaxThreads">The largest thread count sampled.</param>
/// <param name="CpuPercent">Server CPU (utime + stime) over the sampled wall time, % of one core.</param>
/// <param name="Samples">How many samples were taken.</param>
public sealed record ServerSample(long BaselineRssKb, long PeakRssKb, long HwmKb, int MaxThreads, double CpuPercent, int Samples);
