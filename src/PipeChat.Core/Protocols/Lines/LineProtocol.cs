using System.Buffers;

namespace PipeChat.Protocols.Lines;

/// <summary>
/// A message-level protocol over <c>\n</c>-terminated lines: override <see cref="OnLine"/> and the base
/// does the framing (<see cref="LineFramer"/>: <c>\r\n</c> accepted, lines bounded by
/// <see cref="MaxLineLength"/>), for every connection model. See docs/library.md.
/// </summary>
/// <remarks>
/// A line arrives as a span of the receive buffer when it lies in one segment (the usual case, no copy)
/// and as a copy in a pooled buffer when it spans two; either way no allocation per line. The span is
/// only valid during the call. The protocol is stateless per connection: one instance serves them all,
/// so <see cref="OnLine"/> must be safe to call from several threads at once.
/// </remarks>
public abstract class LineProtocol : IStreamProtocol
{
    /// <summary>The line limit when none is given: 4096 bytes, <c>\r\n</c> excluded.</summary>
    public const int DefaultMaxLineLength = 4096;

    private readonly Session _session;

    /// <summary>Creates the protocol.</summary>
    /// <param name="name">Short name for logs, metrics and the ready line.</param>
    /// <param name="maxLineLength">Longest accepted line in bytes, <c>\r\n</c> excluded.</param>
    protected LineProtocol(string name, int maxLineLength = DefaultMaxLineLength)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxLineLength);
        Name = name;
        MaxLineLength = maxLineLength;
        _session = new Session(this);
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>Longest accepted line in bytes, <c>\r\n</c> excluded.</summary>
    public int MaxLineLength { get; }

    /// <summary>
    /// Handles one line (without its <c>\r\n</c>). Write replies to <paramref name="writer"/>.
    /// Returns false to close the connection once the replies are sent.
    /// </summary>
    protected abstract bool OnLine(ReadOnlySpan<byte> line, LineWriter writer);

    /// <summary>
    /// A line exceeded <see cref="MaxLineLength"/>. Writes a last reply if it likes; the connection is
    /// then closed (the rest of that line cannot be framed safely). Writes nothing by default.
    /// </summary>
    protected virtual void OnLineTooLong(LineWriter writer)
    {
    }

    /// <inheritdoc />
    public IStreamSession CreateSession(IConnectionOutput connection) => _session;

    /// <inheritdoc />
    public virtual void OnServerStopping()
    {
    }

    internal SessionAction Handle(in ReadOnlySequence<byte> input, bool inputEnded, IBufferWriter<byte> output, out SequencePosition consumed)
    {
        var buffer = input;
        var writer = new LineWriter(output);
        while (true)
        {
            switch (LineFramer.TryReadLine(ref buffer, MaxLineLength, out var line))
            {
                case LineStatus.Line:
                    if (!Deliver(line, writer))
                    {
                        consumed = buffer.Start;
                        return SessionAction.Close;
                    }

                    continue;
                case LineStatus.TooLong:
                    OnLineTooLong(writer);
                    consumed = input.End;
                    return SessionAction.Close;
                default:
                    if (inputEnded && !buffer.IsEmpty)
                    {
                        // The peer is done: its last, unterminated line still counts.
                        Deliver(buffer, writer);
                        buffer = buffer.Slice(buffer.End);
                    }

                    consumed = buffer.Start;
                    return inputEnded ? SessionAction.Close : SessionAction.Continue;
            }
        }
    }

    private bool Deliver(in ReadOnlySequence<byte> line, LineWriter writer)
    {
        if (line.IsSingleSegment)
        {
            return OnLine(line.FirstSpan, writer);
        }

        // Rare: the line straddles two receive buffers. Bounded by MaxLineLength, pooled.
        var length = (int)line.Length;
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            line.CopyTo(rented);
            return OnLine(rented.AsSpan(0, length), writer);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    // Stateless, so one session object serves every connection.
    private sealed class Session(LineProtocol protocol) : IStreamSession
    {
        public TimeSpan InputPause => TimeSpan.Zero;

        public SessionAction OnInput(in ReadOnlySequence<byte> input, bool inputEnded, IBufferWriter<byte> output, out SequencePosition consumed) =>
            protocol.Handle(input, inputEnded, output, out consumed);

        public void OnClosed()
        {
        }
    }
}
