namespace PipeChat.Protocols.Chat;

/// <summary>
/// The seats of a room that caught up and sleep until the next publish, as a lock-free stack: waking takes
/// them all at once and wakes each member's sink.
/// </summary>
internal sealed class RoomSleepers : ISleeperGroup
{
    private ChatSeat? _head;

    /// <summary>Gets a value indicating whether anyone sleeps (read after a full fence, see <see cref="RoomRing"/>).</summary>
    public bool Any => Volatile.Read(ref _head) is not null;

    /// <summary>Puts <paramref name="seat"/> to sleep unless it already is; a full fence either way.</summary>
    public void Add(ChatSeat seat)
    {
        if (Interlocked.Exchange(ref seat.Parked, 1) == 0)
        {
            ChatSeat? head;
            do
            {
                head = Volatile.Read(ref _head);
                seat.NextSleeper = head;
            }
            while (Interlocked.CompareExchange(ref _head, seat, head) != head);
        }
    }

    /// <summary>Wakes every sleeper's sink.</summary>
    public void Wake() => WakeAll();

    /// <inheritdoc />
    public int WakeAll()
    {
        ChatSeat? seat = Interlocked.Exchange(ref _head, null);
        int woken = 0;
        while (seat is not null)
        {
            woken++;
            ChatSeat? next = seat.NextSleeper;
            seat.NextSleeper = null;
            Volatile.Write(ref seat.Parked, 0);
            try
            {
                seat.Member.Sink.Wake();
            }
#pragma warning disable CA1031 // Sinks must not throw; one that does must not cost the other sleepers their wake-up (or, on the scheduler's thread, the process).
            catch (Exception)
#pragma warning restore CA1031
            {
            }

            seat = next;
        }

        return woken;
    }
}
