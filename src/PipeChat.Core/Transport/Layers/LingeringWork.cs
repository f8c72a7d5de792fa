using PipeChat.Connections;

namespace PipeChat.Transport;

/// <summary>
/// The close policy's "go on while bytes move" for the layered connections (<see cref="SessionDriver"/>):
/// the last output and the layers' close (TLS close_notify) may take as long as the peer keeps reading,
/// and are given up once nothing moved for a whole linger period.
/// </summary>
internal static class LingeringWork
{
    /// <summary>
    /// Awaits <paramref name="work"/> while <paramref name="transport"/> still sends; once nothing moved for
    /// <paramref name="linger"/>, calls <paramref name="abort"/> and returns false. After the work, returns
    /// false when <paramref name="aborted"/> says the connection was aborted meanwhile.
    /// </summary>
    public static async Task<bool> WhileMovingAsync(Task work, SocketStream transport, TimeSpan linger, Action abort, Func<bool> aborted)
    {
        while (true)
        {
            var before = transport.BytesSent;
            if (await Task.WhenAny(work, Task.Delay(linger)).ConfigureAwait(false) == work)
            {
                await work.ConfigureAwait(false);
                return !aborted();
            }

            if (!SessionDriver.StillMoving(before, transport.BytesSent))
            {
                abort();
                await work.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                return false;
            }
        }
    }
}
