using System.Buffers;

namespace PipeChat.Protocols.Lines;

/// <summary>
/// Where a <see cref="LineProtocol"/> writes its replies: a thin view of the connection's output buffer.
/// A ref struct so a reply costs no allocation; the bytes are sent when the handler returns.
/// </summary>
public readonly ref struct LineWriter
{
    private readonly IBufferWriter<byte> _output;

    /// <summary>Wraps <paramref name="output"/>.</summary>
    public LineWriter(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        _output = output;
    }

    /// <summary>Appends <paramref name="bytes"/> as they are.</summary>
    public void Write(ReadOnlySpan<byte> bytes) => _output.Write(bytes);

    /// <summary>Appends <paramref name="line"/> and a <c>\n</c>.</summary>
    public void WriteLine(ReadOnlySpan<byte> line)
    {
        var span = _output.GetSpan(line.Length + 1);
        line.CopyTo(span);
        span[line.Length] = (byte)'\n';
        _output.Advance(line.Length + 1);
    }

    /// <summary>A buffer of at least <paramref name="sizeHint"/> bytes to fill in place; then call <see cref="Advance"/>.</summary>
    public Span<byte> GetSpan(int sizeHint) => _output.GetSpan(sizeHint);

    /// <summary>Commits <paramref name="count"/> bytes written to the span of <see cref="GetSpan"/>.</summary>
    public void Advance(int count) => _output.Advance(count);
}
