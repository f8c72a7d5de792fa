using PipeChat.Diagnostics;

namespace PipeChat.Tests.Diagnostics;

public class StripedCounterTests
{
    [Fact]
    public void Adds_from_many_threads_sum_up_exactly()
    {
        var counter = new StripedCounter();
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, worker =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                counter.Add(worker + 1);
            }
        });

        Assert.Equal(10_000L * (1 + 2 + 3 + 4 + 5 + 6 + 7 + 8), counter.Value);
    }
}
