using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using PipeChat.Protocols.Chat;
using PipeChat.Protocols.Lines;

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
    private byte[] _dirty = null!;
    private readonly ChatMessagePool _pool = new();

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

        // As long as _plain, with a bare \r, an escape sequence, a C1 character and an invalid byte to replace.
        _dirty = [.. Encoding.UTF8.GetBytes("hello everyone\r how is the \u001b[2Jweather over\u0085 there today"), 0xFF, (byte)'?'];

        if (LineFramer64B() != 63 || LineFramer1000BIn4Segments() != 999
            || ParseText() != _plain.Length || ParseNick() != "alice_01".Length || !NameIsValid()
            || ScanPlainText() != -1 || RelayComposeUnscanned() != RelayComposePlain()
            || RelayComposeSanitized() != Encoding.UTF8.GetByteCount("<alice_01> hello everyone\uFFFD how is the \uFFFD[2Jweather over\uFFFD there today\uFFFD?\n"))
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

    /// <summary>The sanitizer's vector scan alone over a plain 52-byte line (finds nothing to replace).</summary>
    [Benchmark]
    public int ScanPlainText() => ChatText.IndexOfNonPlain(_plain);

    /// <summary>Encoding a relayed line without the sanitizer (what relaying cost before it).</summary>
    [Benchmark]
    public int RelayComposeUnscanned() => ComposeAndRelease(ChatMessage.Compose(_pool, "<"u8, _name.AsSpan(0, 8), "> "u8, _plain));

    /// <summary>Encoding a relayed plain line: the scan finds nothing, the copy is the same as unscanned.</summary>
    [Benchmark]
    public int RelayComposePlain() => ComposeAndRelease(ChatMessage.FromMember(_pool, _name.AsSpan(0, 8), _plain));

    /// <summary>Encoding a relayed line that needs replacing: rewritten into the pooled message.</summary>
    [Benchmark]
    public int RelayComposeSanitized() => ComposeAndRelease(ChatMessage.FromMember(_pool, _name.AsSpan(0, 8), _dirty));

    private static int ComposeAndRelease(ChatMessage message)
    {
        int length = message.Length;
        message.Release();
        return length;
    }

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
