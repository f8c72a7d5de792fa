namespace PipeChat.Tests.Support;

/// <summary>Waiting on conditions with a deadline, never on fixed sleeps.</summary>
public static class Wait
{
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(20);

    public static async Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? Default);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out waiting for: {what}");
            }

            await Task.Delay(10);
        }
    }

    /// <summary>Waits until <paramref name="read"/> returns the same value across several polls.</summary>
    public static async Task<long> UntilStableAsync(Func<long> read, TimeSpan interval, int polls, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? Default);
        var last = read();
        var same = 0;
        while (same < polls)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("value never settled");
            }

            await Task.Delay(interval);
            var now = read();
            same = now == last ? same + 1 : 0;
            last = now;
        }

        return last;
    }

    public static async Task<T> WithTimeout<T>(this Task<T> task, string what, TimeSpan? timeout = null)
    {
        var finished = await Task.WhenAny(task, Task.Delay(timeout ?? Default));
        return finished == task ? await task : throw new TimeoutException($"timed out: {what}");
    }

    public static async Task WithTimeout(this Task task, string what, TimeSpan? timeout = null)
    {
        var finished = await Task.WhenAny(task, Task.Delay(timeout ?? Default));
        if (finished != task)
        {
            throw new TimeoutException($"timed out: {what}");
        }

        await task;
    }
}
