using PipeChat.Protocols.Lines;

namespace PipeChat.Tests.Lines;

/// <summary>Replies to every line with its bytes reversed; "quit" closes; a too-long line gets "! too long".</summary>
internal sealed class ReverseProtocol(int maxLineLength = LineProtocol.DefaultMaxLineLength) : LineProtocol("reverse", maxLineLength)
{
    protected override bool OnLine(ReadOnlySpan<byte> line, LineWriter writer)
    {
        if (line.SequenceEqual("quit"u8))
        {
            writer.WriteLine("bye"u8);
            return false;
        }

        var span = writer.GetSpan(line.Length + 1);
        line.CopyTo(span);
        span[..line.Length].Reverse();
        span[line.Length] = (byte)'\n';
        writer.Advance(line.Length + 1);
        return true;
    }

    protected override void OnLineTooLong(LineWriter writer) => writer.WriteLine("! too long"u8);
}
