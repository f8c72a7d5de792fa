namespace PipeChat.Servers;

internal static class Drain
{
    /// <summary>Waits for <paramref name="task"/> at most <paramref name="timeout"/>; true if it finished.</summary>
    public static async Task<bool> WaitAsync(Task task, TimeSpan timeout)
    {
        if (task.IsCompleted)
        {
            return true;
        }

        if (timeout <= TimeSpan.Zero)
        {
            return false;
        }

        var finished = await Task.WhenAny(task, Task.Delay(timeout)).ConfigureAwait(false);
        return finished == task;
    }
}
