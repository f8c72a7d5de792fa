using System.Collections.Concurrent;

namespace PipeChat.Protocols;

/// <summary>
/// Checks the deadlines of every registered session a few times per shortest limit, on one timer of the
/// protocol's <see cref="TimeProvider"/>: one timer for all connections instead of one per connection,
/// and a fake clock can drive it in tests. A deadline is therefore met within a quarter of the limit.
/// </summary>
internal sealed class SessionSweeper : IDisposable
{
    private readonly ConcurrentDictionary<ISweptSession, byte> _sessions = new();
    private readonly ITimer _timer;

    public SessionSweeper(TimeProvider time, TimeSpan shortestLimit)
    {
        Time = time;
        var period = TimeSpan.FromMilliseconds(Math.Clamp(shortestLimit.TotalMilliseconds / 4, 50, 1000));
        _timer = time.CreateTimer(_ => Sweep(), null, period, period);
    }

    public TimeProvider Time { get; }

    public void Add(ISweptSession session) => _sessions[session] = 0;

    public void Remove(ISweptSession session) => _sessions.TryRemove(session, out _);

    public void Dispose() => _timer.Dispose();

    private void Sweep()
    {
        var now = Time.GetTimestamp();
        foreach (var session in _sessions.Keys)
        {
            session.Sweep(now);
        }
    }
}
