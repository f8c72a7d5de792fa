using System.Text;

namespace PipeChat.Protocols.Chat;

/// <summary>
/// A room and its members as an immutable seat array, replaced on every join or leave (copy-on-write)
/// so relays can read it without a lock. Changes happen only under the hub lock.
/// </summary>
internal sealed class ChatRoom
{
    private ChatSeat[] _seats = [];

    public ChatRoom(string name)
    {
        Name = name;
        NameBytes = Encoding.ASCII.GetBytes(name);
    }

    public string Name { get; }

    public byte[] NameBytes { get; }

    /// <summary>The current snapshot; never modified once published.</summary>
    public ChatSeat[] Seats => Volatile.Read(ref _seats);

    public int Count => Seats.Length;

    public void Add(ChatSeat seat)
    {
        ChatSeat[] old = _seats;
        var seats = new ChatSeat[old.Length + 1];
        old.CopyTo(seats, 0);
        seats[^1] = seat;
        Volatile.Write(ref _seats, seats);
    }

    public void Remove(ChatSeat seat)
    {
        ChatSeat[] old = _seats;
        int index = Array.IndexOf(old, seat);
        if (index < 0)
        {
            return;
        }

        var seats = new ChatSeat[old.Length - 1];
        Array.Copy(old, 0, seats, 0, index);
        Array.Copy(old, index + 1, seats, index, old.Length - index - 1);
        Volatile.Write(ref _seats, seats);
    }
}
