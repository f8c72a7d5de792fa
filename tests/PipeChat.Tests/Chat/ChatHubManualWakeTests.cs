using Microsoft.Extensions.Time.Testing;
using PipeChat.Protocols.Chat;

namespace PipeChat.Tests.Chat;

/// <summary>Coalesced rooms on the hub's clock and the host's scheduler: no thread, no real time.</summary>
public class ChatHubManualWakeTests : ChatHubTestBase
{
    private static readonly TimeSpan Window = TimeSpan.FromMilliseconds(2);
    private readonly FakeTimeProvider _clock;
    private readonly ManualWakeScheduler _scheduler;

    public ChatHubManualWakeTests()
        : this(new FakeTimeProvider(), new ManualWakeScheduler())
    {
    }

    private ChatHubManualWakeTests(FakeTimeProvider clock, ManualWakeScheduler scheduler)
        : base(wakeCoalescing: WakeCoalescing.Fixed(Window), time: clock, wakeScheduler: scheduler)
    {
        _clock = clock;
        _scheduler = scheduler;
    }

    [Fact]
    public void A_busy_room_wakes_its_sleeping_reader_once_per_window_through_the_hosts_scheduler()
    {
        var m = ConnectQuietly(2);
        _clock.Advance(Window); // the join notices' wake-ups are a window ago
        _scheduler.RunAll();
        m[1].Sink.Take();

        int before = m[1].Sink.Wakes;
        Say(m[0].Member, "one");
        Assert.Equal(before + 1, m[1].Sink.Wakes); // quiet room: at once
        Assert.Equal(["<user1> one"], m[1].Sink.Take());

        _clock.Advance(TimeSpan.FromMilliseconds(0.5));
        Say(m[0].Member, "two");
        Say(m[0].Member, "three");
        Assert.Equal(before + 1, m[1].Sink.Wakes); // held back
        Assert.Equal(TimeSpan.FromMilliseconds(1.5), Assert.Single(_scheduler.Scheduled).Delay);

        _clock.Advance(TimeSpan.FromMilliseconds(1.5));
        Assert.Equal(1, _scheduler.RunAll());
        Assert.Equal(before + 2, m[1].Sink.Wakes);
        Assert.Equal(["<user1> two", "<user1> three"], m[1].Sink.Take());
    }
}
