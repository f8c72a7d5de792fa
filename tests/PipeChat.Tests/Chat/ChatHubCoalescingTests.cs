namespace PipeChat.Tests.Chat;

/// <summary>With --wake-coalescing-ms, a busy room wakes its readers at most once per window.</summary>
public class ChatHubCoalescingTests() : ChatHubTestBase(wakeCoalescingMs: 2)
{
    private static readonly TimeSpan Window = TimeSpan.FromMilliseconds(2);

    [Fact]
    public async Task Wake_ups_within_the_coalescing_window_are_merged_into_one()
    {
        var m = ConnectQuietly(2);
        Say(m[0].Member, "first");
        await Support.Wait.UntilAsync(() => m[1].Sink.Wakes > 0, "the first wake-up");
        m[1].Sink.Take();
        int wakes = m[1].Sink.Wakes;

        // Read after each line, so asleep before each next one: without coalescing each would wake it.
        const int Lines = 200;
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        int received = 0;
        for (int i = 0; i < Lines; i++)
        {
            Say(m[0].Member, "burst");
            received += m[1].Sink.Take().Length;
        }

        long windows = (long)(stopwatch.Elapsed / Window);
        await Support.Wait.UntilAsync(() => (received += m[1].Sink.Take().Length) == Lines, "every line");

        // The member was left asleep with lines waiting only until the deferred wake-up.
        await Support.Wait.UntilAsync(() => m[1].Sink.Wakes > wakes, "the deferred wake-up");

        // At most one wake-up per window (plus the first, immediate one and the last, deferred one).
        int woken = m[1].Sink.Wakes - wakes;
        Assert.InRange(woken, 1, windows + 2);
    }
}
