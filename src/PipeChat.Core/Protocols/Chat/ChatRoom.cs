using System.Text;

namespace PipeChat.Protocols.Chat;

/// <summary>
/// A room: its name and its <see cref="RoomRing"/>, which holds both the broadcast lines and the seats
/// (members) reading them. Membership changes happen only under the hub lock.
/// </summary>
internal sealed class ChatRoom
{
    public ChatRoom(string name, RoomRing ring)
    {
        Name = name;
        NameBytes = Encoding.ASCII.GetBytes(name);
        Ring = ring;
    }

    public string Name { get; }

    public byte[] NameBytes { get; }

    public RoomRing Ring { get; }

    /// <summary>The current members' seats; an immutable snapshot.</summary>
    public ChatSeat[] Seats => Ring.Seats;

    public int Count => Seats.Length;
}
