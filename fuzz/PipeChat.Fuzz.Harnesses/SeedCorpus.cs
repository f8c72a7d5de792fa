using System.Text;

namespace PipeChat.Fuzz.Harnesses;

/// <summary>
/// The hand-made seeds of fuzz/corpus, written in the harnesses' input encoding (see each harness). The
/// committed corpus is these plus what libFuzzer found; <c>PipeChat.Fuzz seed DIR</c> writes them again.
/// </summary>
public static class SeedCorpus
{
    public static IEnumerable<(string Harness, string Name, byte[] Input)> All()
    {
        foreach (var (name, input) in Chat())
        {
            yield return ("chat", name, input);
        }

        foreach (var (name, input) in Udp())
        {
            yield return ("udp-registry", name, input);
        }

        foreach (var (name, input) in Echo())
        {
            yield return ("echo", name, input);
        }
    }

    private static IEnumerable<(string, byte[])> Chat()
    {
        // Config index 6 is max-line 64, pending index 0 is 1 MiB (ChatHarness tables).
        yield return ("commands", new ChatScript(6, 3, 0)
            .Send(0, "hello\n").DrainAll(3).Send(1, "/nick alice\n/join dev\n").Send(2, "/join dev\n/who\n/rooms\n")
            .Send(1, "hi dev\n").DrainAll(3).Send(0, "/quit see you\n").Service(0).DrainAll(3).Bytes);
        yield return ("crlf", new ChatScript(6, 2, 0)
            .Send(0, "hi\r\n\r\n\n").Send(0, "a\rb\r").Send(0, "\n").DrainAll(2).Bytes);
        yield return ("too-long", new ChatScript(3, 2, 0)
            .Send(0, "0123456789\n").Send(1, "01234567").Send(1, "8").DrainAll(2).Service(0).Service(1).Bytes);
        yield return ("cr-at-limit", new ChatScript(3, 2, 0)
            .Send(0, "12345678\r").Send(0, "\n").Send(1, "1234567\r\r").Send(1, "\n").DrainAll(2).Bytes);
        yield return ("trickle", new ChatScript(6, 2, 0)
            .SendSplit(0, "/nick bob\nhello there\r\n/join x\n", 1).DrainAll(2).SendSplit(1, "/who\n/rooms\n", 3).DrainAll(2).Bytes);
        yield return ("invalid-utf8", new ChatScript(7, 2, 0)
            .Send(0, [0xFF, 0xFE, 0xC3, 0x28, 0x0A]).Send(0, "\u001b[2J\u0007\u007f\n").Send(0, [0xE2, 0x80, 0x0A]).DrainAll(2).Bytes);
        yield return ("unknown-and-escaped", new ChatScript(6, 2, 0)
            .Send(0, "/foo bar\n//slash\n/\n/nick\n/join\n/NICK x\n/nickname y\n").DrainAll(2).Bytes);
        yield return ("names", new ChatScript(6, 3, 0)
            .Send(0, "/nick a\n").Send(1, "/nick A\n/nick user3\n/nick bad name\n/nick " + new string('n', 33) + "\n")
            .Send(2, "/join " + new string('r', 32) + "\n/join lobby\n").DrainAll(3).Bytes);
        yield return ("slow-member", new ChatScript(6, 2, 1)
            .Send(0, string.Concat(Enumerable.Repeat("flood flood\n", 12))).Drain(0).Service(1).DrainAll(2).Bytes);
        yield return ("shutdown", new ChatScript(6, 2, 0)
            .Send(0, "before\n").Stop().Send(1, "after\n").Connect().DrainAll(3).Service(0).Bytes);
        yield return ("vanish-and-eof", new ChatScript(6, 4, 0)
            .Send(0, "half a li").Vanish(0).Send(1, "bye\nunfinished").EndInput(1).Drain(2).Service(1).Connect().DrainAll(5).Bytes);
        yield return ("max-line-zero", new ChatScript(0, 2, 0)
            .Send(0, "\n\r\n\n").Send(1, "\r").Send(1, "\n").Send(1, "x").DrainAll(2).Bytes);
    }

    private static IEnumerable<(string, byte[])> Udp()
    {
        yield return ("register-talk-dereg", new UdpScript(3, 64)
            .Datagram(1, "#REG alice").Datagram(2, "#REG\n").Datagram(1, "hello\n").Datagram(2, "#DEREG").Datagram(3, "anyone?").Bytes);
        yield return ("server-full", new UdpScript(0, 64).Datagram(1, "#REG").Datagram(2, "#REG b").Datagram(1, "#REG").Bytes);
        yield return ("rename-taken-invalid", new UdpScript(3, 64)
            .Datagram(1, "#REG a").Datagram(2, "#REG b").Datagram(2, "#REG A").Datagram(2, "#REG bad name!").Datagram(2, "#REG c").Bytes);
        yield return ("idle", new UdpScript(3, 64)
            .Datagram(1, "#REG").Datagram(2, "#REG").Advance(8).Datagram(1, "still here").Advance(4).Expire(40).Bytes);
        yield return ("too-long", new UdpScript(3, 8)
            .Datagram(1, "#REG").Datagram(2, "#REG").Datagram(1, "twelve bytes").Datagram(1, "8 bytes!\r\n").Bytes);
        yield return ("odd-datagrams", new UdpScript(3, 64)
            .Datagram(1, "#REG x").Datagram(1, "").Datagram(1, "\r\n").Datagram(1, "#REGx").Datagram(2, "#REG  y  ")
            .Datagram(1, [0xFF, 0x1B, 0x5B, 0x0A, 0x41]).Datagram(1, "#DEREG now").Datagram(1, "#DEREG").Shutdown().Datagram(2, "late").Bytes);
    }

    private static IEnumerable<(string, byte[])> Echo()
    {
        yield return ("lines", [0, 6, .. "hello\n"u8, 0xC4, .. "split across segments\r\n"u8, 0x00, 0x01, 0x0A]);
        yield return ("binary-small-writer", [1, 0x48, 0x00, 0xFF, 0xFE, 0x0D, 0x0A, 0x80, 0x7F, 0x01, 0x02, 0x03]);
    }

    /// <summary>Writes <see cref="ChatHarness"/> inputs (op: bits 0-2 member, 3-7 action).</summary>
    private sealed class ChatScript
    {
        private readonly List<byte> _bytes = [];

        public ChatScript(int maxLineIndex, int members, int pendingIndex) =>
            _bytes.Add((byte)(maxLineIndex | ((members - 2) << 3) | (pendingIndex << 5)));

        public byte[] Bytes => [.. _bytes];

        public ChatScript Send(int member, string text) => Send(member, Encoding.UTF8.GetBytes(text));

        public ChatScript Send(int member, byte[] bytes)
        {
            foreach (byte[] chunk in bytes.Chunk(255))
            {
                _bytes.AddRange([(byte)member, (byte)chunk.Length, .. chunk]);
            }

            return this;
        }

        public ChatScript SendSplit(int member, string text, int segmentSize)
        {
            foreach (byte[] chunk in Encoding.UTF8.GetBytes(text).Chunk(255))
            {
                _bytes.AddRange([(byte)(member | (27 << 3)), (byte)(segmentSize - 1), (byte)chunk.Length, .. chunk]);
            }

            return this;
        }

        public ChatScript Drain(int member) => Op(member, 16);

        public ChatScript DrainAll(int members)
        {
            for (int member = 0; member < members; member++)
            {
                Drain(member);
            }

            return this;
        }

        public ChatScript Service(int member) => Op(member, 20);

        public ChatScript EndInput(int member) => Op(member, 22);

        public ChatScript Vanish(int member) => Op(member, 23);

        public ChatScript Connect() => Op(0, 24);

        public ChatScript Stop() => Op(0, 26);

        private ChatScript Op(int member, int action)
        {
            _bytes.Add((byte)(member | (action << 3)));
            return this;
        }
    }

    /// <summary>Writes <see cref="UdpChatRegistryHarness"/> inputs (op: bits 0-3 address, 4-7 action).</summary>
    private sealed class UdpScript
    {
        private readonly List<byte> _bytes = [];

        public UdpScript(int maxRegistrationsMinusOne, int maxMessage) =>
            _bytes.Add((byte)(maxRegistrationsMinusOne | ((maxMessage / 4) << 3)));

        public byte[] Bytes => [.. _bytes];

        public UdpScript Datagram(int address, string text) => Datagram(address, Encoding.UTF8.GetBytes(text));

        public UdpScript Datagram(int address, byte[] bytes)
        {
            _bytes.AddRange([(byte)address, (byte)bytes.Length, .. bytes]);
            return this;
        }

        /// <summary>Time moves on by quarters of a second.</summary>
        public UdpScript Advance(int quarters)
        {
            _bytes.AddRange([12 << 4, (byte)quarters]);
            return this;
        }

        public UdpScript Expire(int idleQuarters)
        {
            _bytes.AddRange([14 << 4, (byte)idleQuarters]);
            return this;
        }

        public UdpScript Shutdown()
        {
            _bytes.Add(0xFF);
            return this;
        }
    }
}
