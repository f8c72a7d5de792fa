using System.Buffers;
using System.Text;

namespace PipeChat.Protocols.Chat;

/// <summary>
/// Makes member text safe to show on another member's terminal (docs/protocols.md): every invalid UTF-8 sequence and
/// every control character (U+0000–U+001F except TAB, U+007F, U+0080–U+009F) becomes U+FFFD; TAB and valid
/// UTF-8 are kept. Without it a bare <c>\r</c> could fake another member's line on <c>nc</c>, and escape
/// sequences could clear screens or set window titles.
/// </summary>
/// <remarks>
/// The output is at most <see cref="MaxGrowth"/> times the input: one bad byte becomes the three bytes of
/// U+FFFD (a C1 character, two bytes, also becomes three). Invalid sequences are replaced the way
/// <see cref="Rune.DecodeFromUtf8"/> delimits them (one U+FFFD per maximal invalid subpart, as
/// <see cref="Encoding.UTF8"/> does), so overlong forms, surrogates and truncated sequences are all caught.
/// </remarks>
internal static class ChatText
{
    /// <summary>Output bytes per input byte at most.</summary>
    public const int MaxGrowth = 3;

    /// <summary>The UTF-8 encoding of U+FFFD.</summary>
    public static ReadOnlySpan<byte> Replacement => [0xEF, 0xBF, 0xBD];

    // TAB and printable ASCII: a line made only of these is copied as it is (the common case, one SIMD scan).
    private static readonly SearchValues<byte> Plain = SearchValues.Create(
        "\t !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~"u8);

    /// <summary>
    /// Index of the first byte that is not TAB or printable ASCII, or -1 when the text needs no change.
    /// Text from that index on may still be fine (valid non-ASCII UTF-8); <see cref="Sanitize"/> decides.
    /// </summary>
    public static int IndexOfNonPlain(ReadOnlySpan<byte> text) => text.IndexOfAnyExcept(Plain);

    /// <summary>Length of <paramref name="text"/> once sanitized.</summary>
    public static int GetSanitizedLength(ReadOnlySpan<byte> text)
    {
        int length = 0;
        while (true)
        {
            int plain = IndexOfNonPlain(text);
            if (plain < 0)
            {
                return length + text.Length;
            }

            text = text[plain..];
            length += plain + (IsKept(text, out int consumed) ? consumed : Replacement.Length);
            text = text[consumed..];
        }
    }

    /// <summary>
    /// Writes <paramref name="text"/> sanitized into <paramref name="destination"/>, which must hold
    /// <see cref="MaxGrowth"/> times its length (or exactly <see cref="GetSanitizedLength"/>).
    /// </summary>
    /// <returns>Bytes written.</returns>
    public static int Sanitize(ReadOnlySpan<byte> text, Span<byte> destination)
    {
        int written = 0;
        while (true)
        {
            int plain = IndexOfNonPlain(text);
            if (plain < 0)
            {
                text.CopyTo(destination[written..]);
                return written + text.Length;
            }

            text[..plain].CopyTo(destination[written..]);
            written += plain;
            text = text[plain..];
            ReadOnlySpan<byte> output = IsKept(text, out int consumed) ? text[..consumed] : Replacement;
            output.CopyTo(destination[written..]);
            written += output.Length;
            text = text[consumed..];
        }
    }

    /// <summary>
    /// Decodes the sequence at the start of <paramref name="text"/>: true when it is valid UTF-8 and not a
    /// control character, so its <paramref name="consumed"/> bytes are kept; false when they become U+FFFD.
    /// </summary>
    private static bool IsKept(ReadOnlySpan<byte> text, out int consumed) =>
        Rune.DecodeFromUtf8(text, out Rune rune, out consumed) == OperationStatus.Done && !IsControl(rune.Value);

    private static bool IsControl(int value) => (value < 0x20 && value != '\t') || (value >= 0x7F && value <= 0x9F);
}
