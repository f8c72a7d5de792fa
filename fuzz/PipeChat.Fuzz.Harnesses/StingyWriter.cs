using System.Buffers;

namespace PipeChat.Fuzz.Harnesses;

/// <summary>
/// An <see cref="IBufferWriter{T}"/> that hands out spans no larger than asked for (at least
/// <c>chunk</c> bytes when asked for nothing), so writers must cope with output arriving in pieces.
/// </summary>
internal sealed class StingyWriter(int chunk) : IBufferWriter<byte>
{
    private readonly int _chunk = Math.Max(1, chunk);
    private byte[] _buffer = new byte[64];
    private int _written;
    private int _handedOut;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _written);

    public void Advance(int count)
    {
        InvariantViolationException.Check(count >= 0 && count <= _handedOut, $"Advance({count}) past the {_handedOut} bytes handed out");
        _written += count;
        _handedOut = 0;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        int size = sizeHint > 0 ? sizeHint : _chunk;
        if (_buffer.Length - _written < size)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _written + size));
        }

        _handedOut = size;
        return _buffer.AsMemory(_written, size);
    }

    public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;
}
