using PipeChat.Protocols;

namespace PipeChat.Tests.Protocols;

/// <summary>The one per-thread wake batch shared by the chat rooms and the threads model's writers.</summary>
public class WakeBatchTests
{
    [Fact]
    public void Wake_ups_queued_in_nested_batches_run_once_at_the_outermost_end()
    {
        var room = new Counter();
        var writer = new Counter();
        Assert.False(WakeBatch.Active);

        WakeBatch.Begin();
        WakeBatch.Add(room);
        WakeBatch.Add(room); // the same target twice in a row: once
        WakeBatch.Begin();
        WakeBatch.Add(writer);
        WakeBatch.End();
        Assert.True(WakeBatch.Active);
        Assert.Equal((0, 0), (room.Wakes, writer.Wakes));

        WakeBatch.End();
        Assert.False(WakeBatch.Active);
        Assert.Equal((1, 1), (room.Wakes, writer.Wakes));

        // Nothing is left queued for the next batch.
        WakeBatch.Begin();
        WakeBatch.End();
        Assert.Equal((1, 1), (room.Wakes, writer.Wakes));
    }

    private sealed class Counter : IWakeable
    {
        public int Wakes { get; private set; }

        public void Wake() => Wakes++;
    }
}
