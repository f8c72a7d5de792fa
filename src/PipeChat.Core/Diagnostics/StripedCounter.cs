namespace PipeChat.Diagnostics;

/// <summary>
/// A sum that many threads add to at once (bytes in and out of every connection): one padded cell
/// per processor slot, so event loops on different cores do not fight over one cache line on
/// every message. Reading adds the cells up.
/// </summary>
internal sealed class StripedCounter
{
    // 128 bytes between cells.
    private const int Stride = 16;
    private readonly long[] _cells;
    private readonly int _mask;

    public StripedCounter()
    {
        var slots = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Clamp(Environment.ProcessorCount, 1, 64));
        _mask = slots - 1;
        _cells = new long[slots * Stride];
    }

    public long Value
    {
        get
        {
            long sum = 0;
            for (var i = 0; i < _cells.Length; i += Stride)
            {
                sum += Volatile.Read(ref _cells[i]);
            }

            return sum;
        }
    }

    public void Add(long value) => Interlocked.Add(ref _cells[(Thread.GetCurrentProcessorId() & _mask) * Stride], value);
}
