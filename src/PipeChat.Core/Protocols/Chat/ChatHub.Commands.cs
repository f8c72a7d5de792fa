using System.Text;

namespace PipeChat.Protocols.Chat;

/// <summary>The commands that change or read hub state: /nick, /join, /who, /rooms.</summary>
public sealed partial class ChatHub
{
    private void Rename(ChatMember member, ReadOnlySpan<byte> newName)
    {
        if (newName.IsEmpty)
        {
            Tell(member, "! usage: /nick NAME"u8);
            return;
        }

        if (!ChatNames.IsValid(newName))
        {
            Tell(member, "! invalid name"u8);
            return;
        }

        string name = ChatNames.ToName(newName);
        List<ChatMember>? refused = null;
        lock (_lock)
        {
            if (member.HasLeft)
            {
                return;
            }

            byte[] oldName = member.NameBytes;
            if (newName.SequenceEqual(oldName))
            {
                // Nothing changes, so the room hears nothing.
                TellLocked(member, ChatMessage.Compose(_pool, "* you are now "u8, newName), ref refused);
            }
            else if (_members.TryGetValue(name, out ChatMember? holder) && holder != member)
            {
                TellLocked(member, ChatMessage.Compose(_pool, "! name "u8, newName, " is taken"u8), ref refused);
            }
            else
            {
                // Case-only changes land here too (holder == member): allowed and announced.
                _members.Remove(member.Name);
                _members.Add(name, member);
                byte[] nameBytes = newName.ToArray();
                member.Rename(name, nameBytes);
                TellLocked(member, ChatMessage.Compose(_pool, "* you are now "u8, nameBytes), ref refused);
                if (member.Seat is ChatSeat seat)
                {
                    NotifyRoomLocked(seat.Room, member, ref refused, "* "u8, oldName, " is now "u8, nameBytes);
                }
            }
        }

        CutOff(refused);
    }

    private void Join(ChatMember member, ReadOnlySpan<byte> roomName)
    {
        if (roomName.IsEmpty)
        {
            Tell(member, "! usage: /join ROOM"u8);
            return;
        }

        if (!ChatNames.IsValid(roomName))
        {
            Tell(member, "! invalid name"u8);
            return;
        }

        string name = ChatNames.ToName(roomName);
        List<ChatMember>? refused = null;
        lock (_lock)
        {
            if (member.HasLeft || member.Seat is not ChatSeat old)
            {
                return;
            }

            if (ChatNames.Comparer.Equals(old.Room.Name, name))
            {
                // Already there (room names ignore case like member names): confirm, announce nothing.
                TellLocked(member, ChatMessage.Compose(_pool, "* joined "u8, old.Room.NameBytes), ref refused);
            }
            else
            {
                ChatRoom room = GetOrCreateRoomLocked(name);
                var seat = new ChatSeat(member, room);

                // Switch seats and queue "* joined ROOM" in one step: the old room's unread lines stay ahead
                // of it, nothing later from the old room reaches the member, and the new room's lines come
                // after it.
                ChatMessage joined = ChatMessage.Compose(_pool, "* joined "u8, room.NameBytes);
                if (!member.MoveTo(seat, joined, last: false))
                {
                    (refused ??= []).Add(member);
                }

                joined.Release();
                CloseIfEmptyLocked(old.Room);
                NotifyRoomLocked(old.Room, null, ref refused, "* "u8, member.NameBytes, " left"u8);
                NotifyRoomLocked(room, member, ref refused, "* "u8, member.NameBytes, " joined"u8);
            }
        }

        CutOff(refused);
    }

    private void Who(ChatMember member)
    {
        List<ChatMember>? refused = null;
        lock (_lock)
        {
            if (member.HasLeft || member.Seat is not ChatSeat seat)
            {
                return;
            }

            ChatSeat[] seats = seat.Room.Seats;
            var names = new string[seats.Length];
            for (int i = 0; i < seats.Length; i++)
            {
                names[i] = seats[i].Member.Name;
            }

            Array.Sort(names, ChatNames.Comparer);
            string text = $"in {seat.Room.Name}: {string.Join(' ', names)}";
            TellLocked(member, ChatMessage.Notice(_pool, text), ref refused);
        }

        CutOff(refused);
    }

    private void Rooms(ChatMember member)
    {
        List<ChatMember>? refused = null;
        lock (_lock)
        {
            if (member.HasLeft)
            {
                return;
            }

            var rooms = new ChatRoom[_rooms.Count];
            _rooms.Values.CopyTo(rooms, 0);
            Array.Sort(rooms, static (a, b) => ChatNames.Comparer.Compare(a.Name, b.Name));

            var text = new StringBuilder("rooms:");
            foreach (ChatRoom room in rooms)
            {
                text.Append(' ').Append(room.Name).Append('(').Append(room.Count).Append(')');
            }

            TellLocked(member, ChatMessage.Notice(_pool, text.ToString()), ref refused);
        }

        CutOff(refused);
    }
}
