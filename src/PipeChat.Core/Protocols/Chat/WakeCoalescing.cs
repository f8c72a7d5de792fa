namespace PipeChat.Protocols.Chat;

/// <summary>
/// When a room holds back the wake-ups of its sleeping readers (see <see cref="RoomRing"/>): a room that
/// woke them less than a window ago wakes them again only when the window is up, so a busy room sends
/// several lines per wake-up and per send instead of one each. A room whose lines come further apart than
/// the window is never delayed.
/// </summary>
public readonly record struct WakeCoalescing
{
    /// <summary>
    /// The window per member of <see cref="Auto"/>: a little more than one send to a woken member costs on a
    /// 2-core box (about 9 µs), so waking every member once per window takes less than one core.
    /// </summary>
    public static readonly TimeSpan AutoWindowPerMember = TimeSpan.FromMicroseconds(10);

    /// <summary>
    /// The shortest window <see cref="Auto"/> uses (rooms under 50 members wake at once): a shorter one saves
    /// little and is not kept precisely (the deferred wake-up is a thread hand-off and a usleep).
    /// </summary>
    public static readonly TimeSpan AutoMinWindow = TimeSpan.FromMilliseconds(0.5);

    /// <summary>
    /// The lines per wake-up of <see cref="Auto"/>: its window holds about this many lines at the room's rate,
    /// well under the 16 lines a closed-loop publisher keeps in flight in the measurements, so the window never
    /// becomes what such a publisher waits on. A saturated room (its wake-ups find most of its readers still
    /// sending) gathers up to three times as many, and comes back to this once it keeps up.
    /// </summary>
    public const int AutoLinesPerWake = 4;

    /// <summary>Gets the window of a fixed policy.</summary>
    public TimeSpan Window { get; init; }

    /// <summary>Gets the window per member of the room (added to <see cref="Window"/>).</summary>
    public TimeSpan WindowPerMember { get; init; }

    /// <summary>Gets the shortest window used: a room whose window is shorter wakes at once.</summary>
    public TimeSpan MinWindow { get; init; }

    /// <summary>
    /// Gets the lines a window holds at the room's rate (0: the window does not follow the rate): the window is
    /// then at most this many times the mean time between the room's lines, and at most <see cref="WindowFor"/>.
    /// </summary>
    public int LinesPerWake { get; init; }

    /// <summary>Gets the policy that wakes readers at once.</summary>
    public static WakeCoalescing Off => default;

    /// <summary>
    /// Gets the default: a window that holds about <see cref="AutoLinesPerWake"/> lines at the room's line rate, at
    /// most <see cref="AutoWindowPerMember"/> × members (1 ms at 100 members, 10 ms at 1000), none in rooms whose
    /// ceiling is under <see cref="AutoMinWindow"/>. Woken at once on every line, a busy room's fan-out takes every
    /// core it can get whatever the load, as each member then sends about one line per send; held back so, waking
    /// the whole room costs at most about one core per window. Following the rate, the window never holds back a
    /// publisher that waits on its own lines (see <see cref="LinesPerWake"/>).
    /// </summary>
    public static WakeCoalescing Auto => new() { WindowPerMember = AutoWindowPerMember, MinWindow = AutoMinWindow, LinesPerWake = AutoLinesPerWake };

    /// <summary>Holds wake-ups back to one per <paramref name="window"/> in every room.</summary>
    public static WakeCoalescing Fixed(TimeSpan window) => new() { Window = window };

    /// <summary>
    /// The window for a room of <paramref name="members"/> (with <see cref="LinesPerWake"/>, the longest); zero when it
    /// wakes at once.
    /// </summary>
    public TimeSpan WindowFor(int members)
    {
        var window = Window + (WindowPerMember * members);
        return window <= TimeSpan.Zero || window < MinWindow ? TimeSpan.Zero : window;
    }
}
