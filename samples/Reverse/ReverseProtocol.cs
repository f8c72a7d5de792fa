using PipeChat.Protocols.Lines;

namespace PipeChat.Samples.Reverse;

/// <summary>Replies to each line with its bytes in reverse order. Lines over 1024 bytes end the connection.</summary>
public sealed class ReverseProtocol() : LineProtocol("reverse", maxLineLength: 1024)
{
    protected override bool OnLine(ReadOnlySpan<byte> line, LineWriter writer)
    {
        // Reverse in the output buffer itself: no copy of our own, no allocation.
        var reply = writer.GetSpan(line.Length + 1);
        line.CopyTo(reply);
        reply[..line.Length].Reverse();
        reply[line.Length] = (byte)'\n';
        writer.Advance(line.Length + 1);
        return true;
    }

    protected override void OnLineTooLong(LineWriter writer) => writer.WriteLine("! line too long"u8);
}
