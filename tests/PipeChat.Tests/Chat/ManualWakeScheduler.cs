using PipeChat.Protocols.Chat;

namespace PipeChat.Tests.Chat;

/// <summary>An <see cref="IWakeScheduler"/> that only records: the test runs the deferred wake-ups itself.</summary>
internal sealed class ManualWakeScheduler : IWakeScheduler
{
    private readonly List<(IDeferredWake Target, TimeSpan Delay)> _scheduled = [];

    public IReadOnlyList<(IDeferredWake Target, TimeSpan Delay)> Scheduled => _scheduled;

    public void Schedule(IDeferredWake target, TimeSpan delay) => _scheduled.Add((target, delay));

    /// <summary>Runs every wake-up scheduled so far (the time is up) and forgets them.</summary>
    public int RunAll()
    {
        var due = _scheduled.ToArray();
        _scheduled.Clear();
        foreach (var (target, _) in due)
        {
            target.RunDeferredWake();
        }

        return due.Length;
    }
}
