using System.Buffers;
using System.IO.Pipelines;

namespace PipeChat.Transport;

/// <summary>
/// Where a session writes its output during one pump round. While the output pipe is empty and
/// no send is in flight, replies go into a small array of their own and are sent straight from
/// it (no pipe flush, read and advance, no segment rented and returned per message); once they
/// outgrow it, or while earlier output still waits, they go to the output pipe, which then keeps
/// the order and the backpressure (<see cref="TransportOptions.OutputPauseThreshold"/>).
/// </summary>
internal sealed class ReplyWriter : IBufferWriter<byte>
{
    private readonly byte[] _direct;
    private readonly PipeWriter _pipe;
    private bool _useDirect;

    public ReplyWriter(PipeWriter pipe, int directSize)
    {
        _pipe = pipe;
        _direct = GC.AllocateUninitializedArray<byte>(directSize);
    }

    /// <summary>Bytes written into the direct array this round (not in the pipe).</summary>
    public int Written { get; private set; }

    /// <summary>The direct array's bytes, to be sent as they are.</summary>
    public ReadOnlySequence<byte> Pending => new(_direct, 0, Written);

    /// <summary>
    /// Starts a round: with <paramref name="direct"/> (output pipe empty, nothing in flight)
    /// output may go to the direct array, else it goes to the pipe.
    /// </summary>
    public void Begin(bool direct)
    {
        System.Diagnostics.Debug.Assert(!direct || Written == 0, "The direct array is still held by a send.");
        _useDirect = direct;
    }

    /// <summary>Ends a round; returns the bytes it left in the direct array (they now wait for a send).</summary>
    public int End()
    {
        var written = _useDirect ? Written : 0;
        _useDirect = false;
        return written;
    }

    /// <summary>The direct bytes were sent (or dropped): the array is free again.</summary>
    public void Clear()
    {
        Written = 0;
        _useDirect = false;
    }

    public void Advance(int count)
    {
        if (_useDirect)
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThan(count, _direct.Length - Written);
            Written += count;
        }
        else
        {
            _pipe.Advance(count);
        }
    }

    public Memory<byte> GetMemory(int sizeHint = 0) =>
        Fits(sizeHint) ? _direct.AsMemory(Written) : Spill().GetMemory(sizeHint);

    public Span<byte> GetSpan(int sizeHint = 0) =>
        Fits(sizeHint) ? _direct.AsSpan(Written) : Spill().GetSpan(sizeHint);

    private bool Fits(int sizeHint) => _useDirect && _direct.Length - Written >= Math.Max(sizeHint, 1);

    /// <summary>Output outgrew the direct array (or may not use it): what it holds goes first into the pipe.</summary>
    private PipeWriter Spill()
    {
        if (_useDirect)
        {
            _useDirect = false;
            if (Written > 0)
            {
                _pipe.Write(_direct.AsSpan(0, Written));
                Written = 0;
            }
        }

        return _pipe;
    }
}
