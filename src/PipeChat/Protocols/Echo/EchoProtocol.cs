using System.Buffers;

namespace PipeChat.Protocols.Echo;

/// <summary>
/// TCP echo (SPEC §4): every byte back, in order, unchanged. Stateless, so one session
/// instance serves every connection of a server and a connection costs the protocol nothing.
/// </summary>
public sealed class EchoProtocol : IStreamProtocol, IStreamSession
{
    /// <summary>A shared instance (tests, benchmarks); servers made by the factory get their own, for their own counters.</summary>
    public static readonly EchoProtocol Instance = new();

    private long _messages;

    /// <summary>Receive batches echoed (TCP has no message boundaries; this counts non-empty reads answered).</summary>
    public long MessagesEchoed => Interlocked.Read(ref _messages);

    /// <inheritdoc />
    public string Name => "echo";

    /// <inheritdoc />
    public IStreamSession CreateSession(IConnectionOutput connection) => this;

    /// <inheritdoc />
    public SessionAction OnInput(in ReadOnlySequence<byte> input, bool inputEnded, IBufferWriter<byte> output, out SequencePosition consumed)
    {
        if (!input.IsEmpty)
        {
            Copy(input, output);
            Interlocked.Increment(ref _messages);
        }

        consumed = input.End;

        // Half-close: everything received has now been written back; finish and close.
        return inputEnded ? SessionAction.Close : SessionAction.Continue;
    }

    /// <inheritdoc />
    public void OnServerStopping()
    {
    }

    /// <inheritdoc />
    public void OnClosed()
    {
    }

    private static void Copy(in ReadOnlySequence<byte> input, IBufferWriter<byte> output)
    {
        if (input.IsSingleSegment)
        {
            output.Write(input.FirstSpan);
            return;
        }

        foreach (var segment in input)
        {
            output.Write(segment.Span);
        }
    }
}
