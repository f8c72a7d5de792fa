using System.Buffers;
using PipeChat.Protocols;
using PipeChat.Protocols.Chat;
using PipeChat.Protocols.Lines;

namespace PipeChat.Fuzz.Harnesses;

/// <summary>
/// TCP chat through the line framer and the chat sessions of one hub, the way a connection model drives
/// them, with the fuzz input deciding who sends what, how it is cut into reads and segments, and when
/// members are drained, end their input, vanish or join, and when the server stops.
/// </summary>
/// <remarks>
/// <para>Checked: no exception; the framer agrees with a plain reading of its rule on one segment and on
/// many; a session never keeps more than max-line + 1 bytes waiting for a newline; every member gets only
/// well-formed lines (<see cref="ChatOutput"/>); at the end the hub is empty and no message is leaked.</para>
/// <para>Input: a config byte (bits 0-2 max-line, 3-4 members at start, 5-7 pending-output limit), then
/// operations: a byte whose low 3 bits pick the member and high 5 bits the action (see <see cref="Run"/>),
/// followed by the action's bytes.</para>
/// </remarks>
public static class ChatHarness
{
    private const int MaxClients = 8;

    // 1000: lines over 512 bytes that span segments take the hub's pooled-array path.
    private static readonly int[] MaxLines = [4096, 1, 2, 8, 16, 1000, 64, 200];

    private static readonly int[] MaxPendings = [1 << 20, 64, 128, 256, 512, 1024, 4096, 65536];

    public static void Run(ReadOnlySpan<byte> data)
    {
        var input = new FuzzInput(data);
        byte config = input.NextByte();
        int maxLine = MaxLines[config & 7];
        int maxPending = MaxPendings[config >> 5];
        var pool = new ChatMessagePool();
        var hub = new ChatHub(pool, maxPending);
        var limits = new ChatLimits { MaxLine = maxLine, MaxPendingOutput = maxPending, WakeCoalescing = WakeCoalescing.Off };
        using var protocol = new ChatProtocol(limits, hub);
        var sent = new HashSet<string>(StringComparer.Ordinal);
        var clients = new List<ChatClient>();
        for (int i = 2 + ((config >> 3) & 3); i > 0; i--)
        {
            clients.Add(new ChatClient(protocol, maxLine, clients.Count, sent));
        }

        while (!input.IsEmpty)
        {
            byte op = input.NextByte();
            ChatClient client = clients[(op & 7) % clients.Count];
            switch (op >> 3)
            {
                case < 16:
                    client.Receive(input.Take(input.NextByte()), segmentSize: 0);
                    break;
                case < 20:
                    client.Drain();
                    break;
                case < 22:
                    client.Service();
                    break;
                case 22:
                    client.EndInput();
                    break;
                case 23:
                    client.Vanish();
                    break;
                case 24 or 25:
                    if (clients.Count < MaxClients)
                    {
                        clients.Add(new ChatClient(protocol, maxLine, clients.Count, sent));
                    }

                    break;
                case 26:
                    protocol.OnServerStopping();
                    break;
                default:
                    int size = 1 + (input.NextByte() & 7);
                    client.Receive(input.Take(input.NextByte()), size);
                    break;
            }
        }

        foreach (ChatClient client in clients)
        {
            client.Finish();
        }

        InvariantViolationException.Check(hub.MemberCount == 0, $"{hub.MemberCount} members left in the hub after every connection closed");
        foreach (ChatClient client in clients)
        {
            client.CheckOutput();
        }

        InvariantViolationException.Check(pool.Outstanding == 0, $"{pool.Outstanding} messages never released");
    }

    /// <summary>The framer, cut line by line, against the rule in its documentation on one flat array.</summary>
    /// <remarks>Records the text of every message line in <paramref name="sent"/>.</remarks>
    private static void CheckFramer(ReadOnlySequence<byte> buffer, int maxLine, HashSet<string> sent)
    {
        byte[] all = buffer.ToArray();
        var multi = buffer;
        var flat = new ReadOnlySequence<byte>(all);
        int offset = 0;
        while (true)
        {
            LineStatus expected = Expected(all.AsSpan(offset), maxLine, out int lineLength, out int next);
            LineStatus fromMulti = LineFramer.TryReadLine(ref multi, maxLine, out ReadOnlySequence<byte> multiLine);
            LineStatus fromFlat = LineFramer.TryReadLine(ref flat, maxLine, out ReadOnlySequence<byte> flatLine);
            InvariantViolationException.Check(
                fromMulti == expected && fromFlat == expected,
                $"framer said {fromMulti} (segments) / {fromFlat} (flat), expected {expected}, max-line {maxLine}, at {offset} of {Convert.ToHexString(all)}");
            if (expected != LineStatus.Line)
            {
                InvariantViolationException.Check(multi.Length == all.Length - offset && flat.Length == all.Length - offset, "framer advanced without a line");
                return;
            }

            ReadOnlySpan<byte> line = all.AsSpan(offset, lineLength);
            InvariantViolationException.Check(
                multiLine.ToArray().AsSpan().SequenceEqual(line) && flatLine.ToArray().AsSpan().SequenceEqual(line),
                $"framer cut a different line at {offset} of {Convert.ToHexString(all)}");
            if (ChatCommand.Parse(line) is { Kind: ChatCommandKind.Message } message)
            {
                sent.Add(ChatOutput.Key(message.Argument));
            }

            offset += next;
            InvariantViolationException.Check(multi.Length == all.Length - offset && flat.Length == all.Length - offset, "framer advanced to the wrong place");
        }
    }

    private static LineStatus Expected(ReadOnlySpan<byte> bytes, int maxLine, out int lineLength, out int next)
    {
        int newline = bytes.IndexOf((byte)'\n');
        next = newline + 1;
        if (newline >= 0)
        {
            lineLength = newline > 0 && bytes[newline - 1] == (byte)'\r' ? newline - 1 : newline;
            return lineLength > maxLine ? LineStatus.TooLong : LineStatus.Line;
        }

        lineLength = 0;
        int pending = bytes.Length > 0 && bytes[^1] == (byte)'\r' ? bytes.Length - 1 : bytes.Length;
        return pending > maxLine ? LineStatus.TooLong : LineStatus.NeedMore;
    }

    /// <summary>One connection as a connection model drives it, with every step left to the fuzz input.</summary>
    private sealed class ChatClient : IConnectionOutput
    {
        // Enough for any backlog the pending limits allow, a bound so that a drain bug cannot spin forever.
        private const int MaxDrains = 10_000;

        private readonly IStreamSession _session;
        private readonly IOutboundSource _source;
        private readonly int _maxLine;
        private readonly string _who;
        private readonly HashSet<string> _sent;
        private readonly ArrayBufferWriter<byte> _output = new();
        private List<byte[]> _pending = [];
        private bool _signaled;
        private bool _closeRequested;
        private bool _aborted;
        private bool _readingStopped;
        private bool _closed;

        public ChatClient(ChatProtocol protocol, int maxLine, int index, HashSet<string> sent)
        {
            _maxLine = maxLine;
            _sent = sent;
            _who = $"member {index}";
            _session = protocol.CreateSession(this);
            _source = (IOutboundSource)_session;
        }

        public void Signal() => _signaled = true;

        public void RequestClose() => _closeRequested = true;

        public void Abort() => _aborted = true;

        public void Receive(ReadOnlySpan<byte> bytes, int segmentSize)
        {
            if (_readingStopped || _closed)
            {
                return;
            }

            int step = segmentSize > 0 ? segmentSize : Math.Max(1, bytes.Length);
            for (int offset = 0; offset < bytes.Length; offset += step)
            {
                _pending.Add(bytes[offset..Math.Min(bytes.Length, offset + step)].ToArray());
            }

            OnInput(inputEnded: false);
        }

        public void Drain()
        {
            if (_closed || _aborted)
            {
                return;
            }

            _signaled = false;
            if (!_source.DrainTo(_output))
            {
                _closeRequested = true;
            }
        }

        /// <summary>The model acts on a close or abort asked for since it last looked.</summary>
        public void Service()
        {
            if (_closed || !(_aborted || _closeRequested || _readingStopped))
            {
                return;
            }

            Close();
        }

        public void EndInput()
        {
            if (!_readingStopped && !_closed)
            {
                OnInput(inputEnded: true);
            }
        }

        /// <summary>The peer is gone without a word: closed with nothing more sent.</summary>
        public void Vanish()
        {
            if (!_closed)
            {
                _closed = true;
                _session.OnClosed();
            }
        }

        public void Finish()
        {
            if (_closed)
            {
                return;
            }

            if (!_aborted && !_readingStopped)
            {
                OnInput(inputEnded: true);
            }

            Close();
        }

        public void CheckOutput() => ChatOutput.Check(_output.WrittenSpan, 3 * _maxLine, _sent, _who);

        private void OnInput(bool inputEnded)
        {
            ReadOnlySequence<byte> buffer = Segments.Of(_pending);
            CheckFramer(buffer, _maxLine, _sent);
            SessionAction action = _session.OnInput(buffer, inputEnded, _output, out SequencePosition consumed);
            ReadOnlySequence<byte> rest = buffer.Slice(consumed);
            if (action == SessionAction.Continue)
            {
                InvariantViolationException.Check(!inputEnded, $"{_who}: session kept reading after its input ended");
                InvariantViolationException.Check(
                    rest.Length <= _maxLine + 1,
                    $"{_who}: {rest.Length} bytes kept waiting for a newline with max-line {_maxLine}");
            }
            else
            {
                _readingStopped = true;
            }

            _pending = rest.IsEmpty ? [] : [rest.ToArray()];
        }

        private void Close()
        {
            if (!_aborted)
            {
                // Flush: drain until the session stops asking for more.
                for (int i = 0; i < MaxDrains; i++)
                {
                    _signaled = false;
                    _source.DrainTo(_output);
                    if (!_signaled)
                    {
                        break;
                    }

                    InvariantViolationException.Check(i < MaxDrains - 1, $"{_who}: drain never finished");
                }
            }

            _closed = true;
            _session.OnClosed();
        }
    }
}
