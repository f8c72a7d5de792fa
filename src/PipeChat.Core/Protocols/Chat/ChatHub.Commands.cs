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
        IChatBridge? claimVia = null;
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
            else if (_bridge is not null && holder != member && _remote.Contains(name))
            {
                // Held on another node, as far as this node has heard: no need to ask.
                TellLocked(member, ChatMessage.Compose(_pool, "! name "u8, newName, " is taken"u8), ref refused);
            }
            else if (_bridge is not null && holder != member)
            {
                // The cluster decides: the member's input waits until CompleteRename.
                member.ClaimPending = true;
                claimVia = _bridge;
            }
            else
            {
                // Case-only changes land here too (holder == member): allowed and announced.
                RenameLocked(member, name, newName.ToArray(), ref refused);
            }
        }

        claimVia?.Claim(member, name, newName.ToArray());
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
                _bridge?.Left(old.Room.Name, member.Name, tooSlow: false);
                _bridge?.Joined(room.Name, member.Name);
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
            var names = new List<string>(seats.Length);
            foreach (ChatSeat other in seats)
            {
                names.Add(other.Member.Name);
            }

            _remote.AddNamesIn(seat.Room.Name, names);
            names.Sort(ChatNames.Comparer);
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

            // Rooms on other nodes count too; a room's name is spelt as this node has it, if it has it.
            var counts = new Dictionary<string, int>(ChatNames.Comparer);
            foreach (ChatRoom room in _rooms.Values)
            {
                counts[room.Name] = room.Count;
            }

            _remote.AddRoomCounts(counts);
            var rooms = new List<KeyValuePair<string, int>>(counts);
            rooms.Sort(static (a, b) => ChatNames.Comparer.Compare(a.Key, b.Key));

            var text = new StringBuilder("rooms:");
            foreach ((string room, int count) in rooms)
            {
                text.Append(' ').Append(room).Append('(').Append(count).Append(')');
            }

            TellLocked(member, ChatMessage.Notice(_pool, text.ToString()), ref refused);
        }

        CutOff(refused);
    }
}
