namespace PipeChat.LoadTests.Sockets;

/// <summary>
/// Message bodies for echo scenarios. Message <c>k</c> of connection <c>c</c> is the slice of one
/// shared pattern starting at <c>(c + k) mod 251</c>, so consecutive messages differ and every
/// echoed byte can be checked without allocating.
/// </summary>
public sealed class EchoPattern
{
    /// <summary>The number of distinct message offsets.</summary>
    public const int Offsets = 251;

    private readonly byte[] _pattern;

    /// <summary>Initializes a new instance of the <see cref="EchoPattern"/> class.</summary>
    public EchoPattern(int messageSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(messageSize);
        MessageSize = messageSize;
        _pattern = new byte[messageSize + Offsets];
        for (int i = 0; i < _pattern.Length; i++)
        {
            _pattern[i] = (byte)((i * 7) + (i >> 8) + 1);
        }
    }

    /// <summary>Gets the message size in bytes.</summary>
    public int MessageSize { get; }

    /// <summary>Gets the bytes of message <paramref name="sequence"/> of a connection.</summary>
    public ReadOnlyMemory<byte> Message(long connection, long sequence) =>
        _pattern.AsMemory(Offset(connection, sequence), MessageSize);

    /// <summary>Checks received bytes that belong to message <paramref name="sequence"/> at <paramref name="position"/>.</summary>
    public bool Matches(long connection, long sequence, int position, ReadOnlySpan<byte> received) =>
        received.SequenceEqual(_pattern.AsSpan(Offset(connection, sequence) + position, received.Length));

    private static int Offset(long connection, long sequence) => (int)((connection + sequence) % Offsets);
}
