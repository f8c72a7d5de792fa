using Microsoft.Extensions.Time.Testing;
using PipeChat.Protocols.Chat;

namespace PipeChat.Tests.Chat;

/// <summary>An <see cref="IWakeScheduler"/> on a fake clock: runs deferred wake-ups when the fake clock reaches their due time (<see cref="RunDue"/>).</summary>
internal sealed class ClockScheduler(FakeTimeProvider time) : IWakeScheduler
{
    private readonly List<(IDeferredWake Target, DateTimeOffset Due)> _due = [];

    public void Schedule(IDeferredWake target, TimeSpan delay) => _due.Add((target, time.GetUtcNow() + delay));

    public void RunDue()
    {
        var now = time.GetUtcNow();
        var ready = _due.Where(d => d.Due <= now).ToArray();
        _due.RemoveAll(d => d.Due <= now);
        foreach (var (target, _) in ready)
        {
            target.RunDeferredWake();
        }
    }
}
