using System.Text;
using System.Text.Unicode;
using PipeChat.Protocols.Chat;

namespace PipeChat.Tests.Chat;

public class ChatTextTests
{
    private const string R = "\uFFFD";

    public static TheoryData<byte> C0ExceptTab => [.. Enumerable.Range(0, 0x20).Where(b => b != '\t').Select(b => (byte)b)];

    public static TheoryData<byte> C1Second => [.. Enumerable.Range(0x80, 0x20).Select(b => (byte)b)];

    public static TheoryData<byte> PrintableAscii => [.. Enumerable.Range(0x20, 0x5F).Select(b => (byte)b)];

    /// <summary>Input bytes (hex) and the expected output text.</summary>
    public static TheoryData<string, string> Cases => new()
    {
        { "", "" },
        { "09", "\t" },
        { "7F", R },
        { "61 0D 62", "a" + R + "b" },
        { "1B 5B 32 4A", R + "[2J" },
        { "1B 5D 30 3B 74 07", R + "]0;t" + R },
        { "C2 A0", "\u00A0" },                       // NBSP: first character after C1, kept
        { "C2 9F C2 A0", R + "\u00A0" },
        { "9B", R },                                 // lone 8-bit CSI: invalid UTF-8
        { "C0 80", R + R },                          // overlong NUL
        { "C1 BF", R + R },                          // overlong DEL
        { "E0 80 80", R + R + R },                   // overlong 3-byte
        { "E0 9F BF", R + R + R },
        { "F0 80 80 80", R + R + R + R },            // overlong 4-byte
        { "F0 8F BF BF", R + R + R + R },
        { "ED A0 80", R + R + R },                   // high surrogate U+D800
        { "ED BF BF", R + R + R },                   // low surrogate U+DFFF
        { "ED A0 BD ED B8 80", R + R + R + R + R + R }, // CESU-8 emoji
        { "F4 90 80 80", R + R + R + R },            // above U+10FFFF
        { "F5 80 80 80", R + R + R + R },
        { "FE FF", R + R },
        { "80", R },                                 // lone continuation byte
        { "C3", R },                                 // truncated at the end
        { "E2 82", R },
        { "F0 9F 98", R },
        { "41 F0 9F 98", "A" + R },
        { "E2 82 41", R + "A" },                     // truncated in the middle
        { "F0 9F 98 41", R + "A" },
        { "C3 28", R + "(" },
        { "C3 A9", "é" },
        { "E2 82 AC", "€" },
        { "EF BF BD", R },                           // U+FFFD itself is valid and kept
        { "F0 9F 98 80", "\U0001F600" },             // 4-byte emoji kept
        { "F4 8F BF BF", "\U0010FFFF" },
        { "E2 80 A8", "\u2028" },                    // line separator is not a control character
        { "68 69 0D 66 61 6B 65 20 3C 61 64 6D 69 6E 3E", "hi" + R + "fake <admin>" },
        { "09 F0 9F 98 80 00 C2 85 FF 7E", "\t\U0001F600" + R + R + R + "~" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Table(string hex, string expected) => AssertSanitized(Hex(hex), expected);

    [Theory]
    [MemberData(nameof(C0ExceptTab))]
    public void Every_C0_control_but_tab_is_replaced(byte control)
    {
        AssertSanitized([control], R);
        AssertSanitized([(byte)'a', control, (byte)'b'], "a" + R + "b");
    }

    [Theory]
    [MemberData(nameof(C1Second))]
    public void Every_C1_control_is_replaced(byte second)
    {
        AssertSanitized([0xC2, second], R);
        AssertSanitized([(byte)'a', 0xC2, second, (byte)'b'], "a" + R + "b");
    }

    [Theory]
    [MemberData(nameof(PrintableAscii))]
    public void Printable_ASCII_is_plain_and_kept(byte b)
    {
        Assert.Equal(-1, ChatText.IndexOfNonPlain([b, (byte)'\t', b]));
        AssertSanitized([b], ((char)b).ToString());
    }

    [Fact]
    public void Plain_text_of_any_length_needs_no_change()
    {
        byte[] line = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("The quick brown fox\tjumps. ", 200)));
        Assert.Equal(-1, ChatText.IndexOfNonPlain(line));

        line[^3] = 0x1B;
        Assert.Equal(line.Length - 3, ChatText.IndexOfNonPlain(line));
    }

    /// <summary>
    /// Against an independent reference: .NET's UTF-8 decoder (which replaces the same maximal invalid
    /// subparts with U+FFFD), then every control character replaced, on random byte strings rich in edge bytes.
    /// </summary>
    [Fact]
    public void Matches_the_decoder_then_replace_controls_on_random_input()
    {
        byte[] interesting = [0x00, 0x09, 0x0A, 0x0D, 0x1B, 0x20, 0x41, 0x7E, 0x7F, 0x80, 0x85, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xC3, 0xDF, 0xE0, 0xE2, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF];
        var random = new Random(12345);
        for (int i = 0; i < 20_000; i++)
        {
            byte[] input = new byte[random.Next(0, 12)];
            for (int j = 0; j < input.Length; j++)
            {
                input[j] = random.Next(3) == 0 ? (byte)random.Next(256) : interesting[random.Next(interesting.Length)];
            }

            var reference = new StringBuilder();
            foreach (Rune rune in Encoding.UTF8.GetString(input).EnumerateRunes())
            {
                bool control = rune.Value < 0x20 ? rune.Value != '\t' : rune.Value is >= 0x7F and <= 0x9F;
                reference.Append(control ? R : rune.ToString());
            }

            AssertSanitized(input, reference.ToString());
        }
    }

    private static void AssertSanitized(byte[] input, string expected)
    {
        byte[] output = new byte[input.Length * ChatText.MaxGrowth];
        int written = ChatText.Sanitize(input, output);
        string hex = Convert.ToHexString(input);

        Assert.True(Encoding.UTF8.GetBytes(expected).AsSpan().SequenceEqual(output.AsSpan(0, written)), $"input {hex}: got {Convert.ToHexString(output, 0, written)}");
        Assert.Equal(written, ChatText.GetSanitizedLength(input));
        Assert.True(Utf8.IsValid(output.AsSpan(0, written)), hex);
        if (ChatText.IndexOfNonPlain(input) < 0)
        {
            Assert.True(output.AsSpan(0, written).SequenceEqual(input), hex);
        }
    }

    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", string.Empty, StringComparison.Ordinal));
}
