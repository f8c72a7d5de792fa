namespace PipeChat.Fuzz.Harnesses;

/// <summary>
/// Reads a fuzz input front to back as decisions and payload. Past the end every read yields zero or
/// nothing, so any byte string is a valid input.
/// </summary>
internal ref struct FuzzInput(ReadOnlySpan<byte> data)
{
    private ReadOnlySpan<byte> _rest = data;

    public readonly bool IsEmpty => _rest.IsEmpty;

    public byte NextByte()
    {
        if (_rest.IsEmpty)
        {
            return 0;
        }

        byte value = _rest[0];
        _rest = _rest[1..];
        return value;
    }

    /// <summary>Up to <paramref name="count"/> bytes (fewer at the end of the input).</summary>
    public ReadOnlySpan<byte> Take(int count)
    {
        ReadOnlySpan<byte> taken = _rest[..Math.Min(count, _rest.Length)];
        _rest = _rest[taken.Length..];
        return taken;
    }
}
