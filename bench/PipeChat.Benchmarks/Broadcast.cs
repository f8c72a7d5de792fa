using System.Buffers;
using System.Text;
using System.Threading.Channels;
using BenchmarkDotNet.Attributes;
using PipeChat.Benchmarks.Broadcasting;
using PipeChat.Protocols.Chat;

namespace PipeChat.Benchmarks;

/// <summary>
/// <see cref="Burst"/> chat lines fanned out to <see cref="Members"/> in-memory members, then every
/// member's output drained into its buffer (where a transport would take it to the socket): the
/// sender-to-output cost of broadcasting, single-threaded, no sockets. One op is the whole burst.
/// </summary>
/// <remarks>
/// <para>
/// Shipped design (baseline): <see cref="ChatHub"/> encodes <c>&lt;name&gt; text\n</c> once into a
/// pooled <see cref="ChatMessage"/> and publishes it once into the room's ring; each member drains it
/// through its own cursor (<see cref="ChatMember.DrainTo"/>), waking costs one call per sleeping member.
/// </para>
/// <para>
/// Alternatives, each ending with the same bytes in the same per-member output buffers:
/// the previous shipped design (a lock and a Queue of shared reference-counted messages per member);
/// a <see cref="Channel{T}"/> of byte[] per member (one fresh array per line, shared);
/// a lock over a List of members, each given its own copied byte[] (the naive design);
/// a lock-free multi-producer Disruptor ring with fixed byte slots (no hub, no commands, no pooling).
/// </para>
/// </remarks>
[MemoryDiagnoser]
public class Broadcast
{
    private static readonly byte[] Text = Encoding.ASCII.GetBytes("the quick brown fox jumps over the lazy dog, 0123456789 abcdef!");
    private static readonly byte[] SenderName = Encoding.ASCII.GetBytes("user1");

    // About as long as Text, with a bare \r, an escape sequence and a C1 character that the hub replaces.
    private static readonly byte[] DirtyText = Encoding.UTF8.GetBytes("the quick brown fox\rjumps over \u001b[2J lazy dog, 0123456\u0085 abcdef!");

    private ChatHub _hub = null!;
    private ChatMember _sender = null!;
    private ChatMember[] _members = null!;
    private readonly ArrayBufferWriter<byte> _senderOutput = new(256);

    // The same hub as the server runs it: default wake coalescing (the window follows the line rate).
    private readonly HeldWakeScheduler _waker = new();
    private ChatHub _coalescedHub = null!;
    private ChatMember _coalescedSender = null!;
    private ChatMember[] _coalescedMembers = null!;

    private ChatMessagePool _queuePool = null!;
    private QueueingSink[] _queues = null!;

    private Channel<byte[]>[] _channels = null!;

    private readonly Lock _listLock = new();
    private List<CopyingMember> _listMembers = null!;

    private BroadcastRing _ring = null!;
    private BroadcastRing.Reader[] _readers = null!;

    private ArrayBufferWriter<byte>[] _outputs = null!;

    [Params(10, 100, 1000)]
    public int Members { get; set; }

    /// <summary>
    /// Lines published before the members read: 1 is the worst case for wake-ups (everyone caught up after
    /// every line), 16 a room under load, where readers find several lines per wake-up.
    /// </summary>
    [Params(1, 16)]
    public int Burst { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _outputs = new ArrayBufferWriter<byte>[Members];
        for (int i = 0; i < Members; i++)
        {
            _outputs[i] = new ArrayBufferWriter<byte>(256);
        }

        // Hub: the sender plus Members recipients, all in the lobby, greetings drained.
        (_hub, _sender, _members) = NewHub(new ChatHub(new ChatMessagePool()));
        (_coalescedHub, _coalescedSender, _coalescedMembers) = NewHub(
            new ChatHub(new ChatMessagePool()) { WakeCoalescing = WakeCoalescing.Auto, WakeScheduler = _waker });

        _queuePool = new ChatMessagePool();
        _queues = new QueueingSink[Members];
        for (int i = 0; i < Members; i++)
        {
            _queues[i] = new QueueingSink();
        }

        // Many senders may write to one member, one send loop reads it.
        _channels = new Channel<byte[]>[Members];
        for (int i = 0; i < Members; i++)
        {
            _channels[i] = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });
        }

        _listMembers = new List<CopyingMember>(Members);
        for (int i = 0; i < Members; i++)
        {
            _listMembers.Add(new CopyingMember());
        }

        _ring = new BroadcastRing(capacity: 1024, slotSize: 4096 + 64);
        _readers = new BroadcastRing.Reader[Members];
        for (int i = 0; i < Members; i++)
        {
            _readers[i] = _ring.AddReader();
        }

        // Every design must have delivered the same line to everyone.
        var expected = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat($"<user1> {Encoding.ASCII.GetString(Text)}\n", Burst)));
        Check(ChatHubShipped(), expected);
        Check(ChatHubShippedCoalesced(), expected);
        Check(QueuePerMember(), expected);
        Check(ChannelPerMember(), expected);
        Check(LockedListCopy(), expected);
        Check(DisruptorRing(), expected);

        var sanitized = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("<user1> the quick brown fox\uFFFDjumps over \uFFFD[2J lazy dog, 0123456\uFFFD abcdef!\n", Burst)));
        Check(ChatHubShippedSanitized(), sanitized);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        // The hub's ring keeps the last lines until their slots are reused; everyone leaving releases them.
        foreach (var (hub, sender, members) in new[] { (_hub, _sender, _members), (_coalescedHub, _coalescedSender, _coalescedMembers) })
        {
            hub.Disconnect(sender);
            foreach (var member in members)
            {
                hub.Disconnect(member);
                member.DrainTo(new ArrayBufferWriter<byte>());
            }

            sender.DrainTo(new ArrayBufferWriter<byte>());
        }

        _waker.RunHeld();
        long leaked = _hub.Pool.Outstanding + _coalescedHub.Pool.Outstanding + _queuePool.Outstanding;
        if (leaked != 0)
        {
            throw new InvalidOperationException($"{leaked} chat messages leaked.");
        }
    }

    /// <summary>The shipped design.</summary>
    [Benchmark(Baseline = true)]
    public int ChatHubShipped()
    {
        for (int b = 0; b < Burst; b++)
        {
            _hub.OnLine(_sender, Text);
        }

        return DrainHub(_sender, _members);
    }

    /// <summary>
    /// The shipped design with the server's default wake coalescing: every line timed for the room's line rate,
    /// wake-ups held back and run as the waker thread would (rooms under 50 members wake at once).
    /// </summary>
    [Benchmark]
    public int ChatHubShippedCoalesced()
    {
        for (int b = 0; b < Burst; b++)
        {
            _coalescedHub.OnLine(_coalescedSender, Text);
        }

        _waker.RunHeld();
        return DrainHub(_coalescedSender, _coalescedMembers);
    }

    /// <summary>The shipped design with a line whose control characters the hub replaces (once per line).</summary>
    [Benchmark]
    public int ChatHubShippedSanitized()
    {
        for (int b = 0; b < Burst; b++)
        {
            _hub.OnLine(_sender, DirtyText);
        }

        return DrainHub(_sender, _members);
    }

    /// <summary>The previous shipped design: every member visited per line.</summary>
    [Benchmark]
    public int QueuePerMember()
    {
        for (int b = 0; b < Burst; b++)
        {
            var message = ChatMessage.FromMember(_queuePool, SenderName, Text);
            foreach (var queue in _queues)
            {
                queue.TryDeliver(message);
            }

            message.Release();
        }

        var total = 0;
        for (int i = 0; i < _queues.Length; i++)
        {
            var output = _outputs[i];
            output.ResetWrittenCount();
            total += _queues[i].DrainTo(output);
        }

        return total;
    }

    [Benchmark]
    public int ChannelPerMember()
    {
        for (int b = 0; b < Burst; b++)
        {
            var line = Encode();
            foreach (var channel in _channels)
            {
                channel.Writer.TryWrite(line);
            }
        }

        var total = 0;
        for (int i = 0; i < _channels.Length; i++)
        {
            var output = _outputs[i];
            output.ResetWrittenCount();
            while (_channels[i].Reader.TryRead(out var bytes))
            {
                output.Write(bytes);
                total += bytes.Length;
            }
        }

        return total;
    }

    [Benchmark]
    public int LockedListCopy()
    {
        Span<byte> line = stackalloc byte[256];
        line = line[..Encode(line)];
        for (int b = 0; b < Burst; b++)
        {
            lock (_listLock)
            {
                foreach (var member in _listMembers)
                {
                    member.Pending.Enqueue(line.ToArray());
                }
            }
        }

        var total = 0;
        for (int i = 0; i < _listMembers.Count; i++)
        {
            var output = _outputs[i];
            output.ResetWrittenCount();
            while (_listMembers[i].Pending.TryDequeue(out var bytes))
            {
                output.Write(bytes);
                total += bytes.Length;
            }
        }

        return total;
    }

    [Benchmark]
    public int DisruptorRing()
    {
        for (int b = 0; b < Burst; b++)
        {
            _ring.Publish(SenderName, Text);
        }

        var total = 0;
        for (int i = 0; i < _readers.Length; i++)
        {
            var output = _outputs[i];
            output.ResetWrittenCount();
            total += _readers[i].DrainTo(output);
        }

        return total;
    }

    private (ChatHub Hub, ChatMember Sender, ChatMember[] Members) NewHub(ChatHub hub)
    {
        var sender = hub.Connect(new CountingSink());
        var members = new ChatMember[Members];
        for (int i = 0; i < Members; i++)
        {
            members[i] = hub.Connect(new CountingSink());
        }

        DrainHub(sender, members);
        sender.DrainTo(new ArrayBufferWriter<byte>());
        return (hub, sender, members);
    }

    private int DrainHub(ChatMember sender, ChatMember[] members)
    {
        // The sender reads too (it passes over its own line), as its connection would when woken.
        _senderOutput.ResetWrittenCount();
        sender.DrainTo(_senderOutput);
        var total = 0;
        for (int i = 0; i < members.Length; i++)
        {
            var output = _outputs[i];
            output.ResetWrittenCount();
            members[i].DrainTo(output);
            total += output.WrittenCount;
        }

        return total;
    }

    private static byte[] Encode()
    {
        var line = new byte[SenderName.Length + Text.Length + 4];
        Encode(line);
        return line;
    }

    private static int Encode(Span<byte> line)
    {
        line[0] = (byte)'<';
        SenderName.CopyTo(line[1..]);
        int at = 1 + SenderName.Length;
        "> "u8.CopyTo(line[at..]);
        at += 2;
        Text.CopyTo(line[at..]);
        at += Text.Length;
        line[at++] = (byte)'\n';
        return at;
    }

    private void Check(int result, byte[] expected)
    {
        if (result == 0)
        {
            throw new InvalidOperationException("Nothing was delivered.");
        }

        foreach (var output in _outputs)
        {
            if (!output.WrittenSpan.SequenceEqual(expected))
            {
                throw new InvalidOperationException($"A member got \"{Encoding.ASCII.GetString(output.WrittenSpan)}\".");
            }
        }
    }

    private sealed class CopyingMember
    {
        public Queue<byte[]> Pending { get; } = new();
    }
}
