using System.Buffers;
using System.Text;

namespace PipeChat.Protocols.Chat;

/// <summary>
/// Member and room names (docs/protocols.md): <c>[A-Za-z0-9_.-]{1,32}</c>, unique ignoring case.
/// Valid names are pure ASCII, so byte and char forms convert one to one.
/// </summary>
internal static class ChatNames
{
    /// <summary>Longest valid name.</summary>
    public const int MaxLength = 32;

    private static readonly SearchValues<byte> AllowedBytes =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-"u8);

    private static readonly SearchValues<char> AllowedChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-");

    /// <summary>Compares names the way uniqueness is decided: ordinal, ignoring ASCII case.</summary>
    public static StringComparer Comparer => StringComparer.OrdinalIgnoreCase;

    /// <summary>True for 1 to 32 bytes, each a letter, digit, <c>_</c>, <c>.</c> or <c>-</c>.</summary>
    public static bool IsValid(ReadOnlySpan<byte> name) =>
        name.Length is > 0 and <= MaxLength && !name.ContainsAnyExcept(AllowedBytes);

    /// <summary>String form of <see cref="IsValid(ReadOnlySpan{byte})"/>.</summary>
    public static bool IsValid(ReadOnlySpan<char> name) =>
        name.Length is > 0 and <= MaxLength && !name.ContainsAnyExcept(AllowedChars);

    /// <summary>True when two names would clash (same letters ignoring ASCII case).</summary>
    public static bool EqualsIgnoreCase(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right) =>
        Ascii.EqualsIgnoreCase(left, right);

    /// <summary>Decodes a name already checked by <see cref="IsValid(ReadOnlySpan{byte})"/>.</summary>
    internal static string ToName(ReadOnlySpan<byte> validName) => Encoding.ASCII.GetString(validName);
}
