using PipeChat.Protocols.Chat;

namespace PipeChat.Fuzz.Harnesses;

/// <summary>What a chat member may ever be sent (docs/protocols.md), checked line by line.</summary>
internal static class ChatOutput
{
    /// <summary>
    /// Whole lines only; the first is the welcome (or the shutdown notice); lines start with <c>* </c>,
    /// <c>! </c> or <c>&lt;NAME&gt; </c>; relayed text is at most <paramref name="maxText"/> bytes; a member's
    /// last words (bye, line too long, shutdown) are its last line. Relayed text of plain printable ASCII
    /// (which no sanitising changes) is exactly the text of a line some member sent (<paramref name="sent"/>,
    /// by <see cref="Key"/>).
    /// </summary>
    public static void Check(ReadOnlySpan<byte> output, int maxText, IReadOnlySet<string> sent, string who)
    {
        if (output.IsEmpty)
        {
            return;
        }

        InvariantViolationException.Check(output[^1] == (byte)'\n', $"{who}: output ends inside a line");
        bool first = true;
        while (!output.IsEmpty)
        {
            int end = output.IndexOf((byte)'\n');
            ReadOnlySpan<byte> line = output[..end];
            output = output[(end + 1)..];
            if (first)
            {
                InvariantViolationException.Check(
                    line.StartsWith("* welcome "u8) || line.SequenceEqual("* server shutting down"u8),
                    $"{who}: first line is not the welcome: {Show(line)}");
                first = false;
            }

            if (line.StartsWith("<"u8))
            {
                int close = line.IndexOf("> "u8);
                InvariantViolationException.Check(close > 0 && ChatNames.IsValid(line[1..close]), $"{who}: relayed line without a valid name: {Show(line)}");
                ReadOnlySpan<byte> text = line[(close + 2)..];
                InvariantViolationException.Check(text.Length <= maxText, $"{who}: relayed text longer than the limit: {Show(line)}");
                InvariantViolationException.Check(
                    text.ContainsAnyExceptInRange((byte)0x20, (byte)0x7E) || sent.Contains(Key(text)),
                    $"{who}: relayed text nobody sent: {Show(line)}");
            }
            else
            {
                InvariantViolationException.Check(line.StartsWith("* "u8) || line.StartsWith("! "u8), $"{who}: line is neither notice, error nor message: {Show(line)}");
            }

            bool lastWords = line.SequenceEqual("* bye"u8) || line.SequenceEqual("! line too long"u8) || line.SequenceEqual("* server shutting down"u8);
            InvariantViolationException.Check(!lastWords || output.IsEmpty, $"{who}: lines after its last words {Show(line)}");
        }
    }

    /// <summary>A set key for message text, byte for byte.</summary>
    public static string Key(ReadOnlySpan<byte> text) => Convert.ToHexString(text);

    private static string Show(ReadOnlySpan<byte> line) => Convert.ToHexString(line[..Math.Min(line.Length, 64)]);
}
