using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using PipeChat.Protocols.Chat;

namespace PipeChat.Benchmarks;

/// <summary>
/// The chat input path before the hub: cutting lines off received bytes, parsing commands, checking
/// names. Called once per received line, so every one of these must allocate nothing (0 B).
/// </summary>
[MemoryDiagnoser]
public class Framing
{
    private const int MaxLine = 4096;

    private ReadOnlySequence<byte> _line64;
    private ReadOnlySequence<byte> _line1000In4;
    private byte[] _plain = null!;
    private byte[] _nick = null!;
    private byte[] _name = null!;

    [GlobalSetup]
    public void Setup()
    {
        // 63 content bytes + \n, one segment: the common case.
        _line64 = new ReadOnlySequence<byte>(Line(63));

        // 999 content bytes + \n over four pipe segments of 250 bytes.
        var bytes = Line(999);
        _line1000In4 = Segment.Sequence(bytes.AsMemory(0, 250), bytes.AsMemory(250, 250), bytes.AsMemory(500, 250), bytes.AsMemory(750, 250));

        _plain = Encoding.ASCII.GetBytes("hello everyone, how is the weather over there today?");
        _nick = Encoding.ASCII.GetBytes("/nick alice_01");
        _name = Encoding.ASCII.GetBytes("alice_01.example-name");

        if (LineFramer64B() != 63 || LineFramer1000BIn4Segments() != 999
            || ParseText() != _plain.Length || ParseNick() != "alice_01".Length || !NameIsValid())
        {
            throw new InvalidOperationException("Framing benchmarks do not see what they should.");
        }
    }

    [Benchmark]
    public long LineFramer64B()
    {
        var buffer = _line64;
        return LineFramer.TryReadLine(ref buffer, MaxLine, out var line) == LineStatus.Line ? line.Length : -1;
    }

    [Benchmark]
    public long LineFramer1000BIn4Segments()
    {
        var buffer = _line1000In4;
        return LineFramer.TryReadLine(ref buffer, MaxLine, out var line) == LineStatus.Line ? line.Length : -1;
    }

    [Benchmark]
    public int ParseText()
    {
        var command = ChatCommand.Parse(_plain);
        return command.Kind == ChatCommandKind.Message ? command.Argument.Length : -1;
    }

    [Benchmark]
    public int ParseNick()
    {
        var command = ChatCommand.Parse(_nick);
        return command.Kind == ChatCommandKind.Nick ? command.Argument.Length : -1;
    }

    [Benchmark]
    public bool NameIsValid() => ChatNames.IsValid(_name.AsSpan());

    private static byte[] Line(int contentLength)
    {
        var line = new byte[contentLength + 1];
        for (int i = 0; i < contentLength; i++)
        {
            line[i] = (byte)('a' + (i % 26));
        }

        line[^1] = (byte)'\n';
        return line;
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        private Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public static ReadOnlySequence<byte> Sequence(params ReadOnlyMemory<byte>[] parts)
        {
            var first = new Segment(parts[0], 0);
            var last = first;
            for (int i = 1; i < parts.Length; i++)
            {
                var next = new Segment(parts[i], last.RunningIndex + last.Memory.Length);
                last.Next = next;
                last = next;
            }

            return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
        }
    }
}
