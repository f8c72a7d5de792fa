using System.Buffers;
using System.IO.Pipelines;

namespace PipeChat.Transport;

/// <summary>
/// What a connection needs only while bytes are moving: the input and output pipes, and two
/// small arrays for the common case that skips them (a receive the session consumes whole, a
/// reply sent at once). Rented from <see cref="TransportResources"/> when a connection has work and
/// returned as soon as both pipes are empty and nothing is in flight, so an idle connection
/// holds none of it.
/// </summary>
internal sealed class ConnectionBuffers
{
    public ConnectionBuffers(PipeOptions input, PipeOptions output, int directSize)
    {
        Input = new Pipe(input);
        Output = new Pipe(output);
        DirectInput = GC.AllocateUninitializedArray<byte>(directSize);
        Reply = new ReplyWriter(Output.Writer, directSize);
    }

    public Pipe Input { get; }

    public Pipe Output { get; }

    /// <summary>
    /// Receives land here while the input pipe is empty: if the session consumes them whole
    /// (an echo always does), the input pipe is never touched; a rest is moved into the pipe.
    /// </summary>
    public byte[] DirectInput { get; }

    /// <summary>Bytes received into <see cref="DirectInput"/> and not offered to the session yet.</summary>
    public int DirectInputLength { get; set; }

    /// <summary>A receive into <see cref="DirectInput"/> is in flight.</summary>
    public bool ReceivingDirect { get; set; }

    /// <summary>The session's output writer: straight to a send when nothing waits, else the output pipe.</summary>
    public ReplyWriter Reply { get; }

    /// <summary>The send in flight is the reply writer's direct bytes, not the output pipe's.</summary>
    public bool SendingDirect { get; set; }

    /// <summary>Received bytes the session has not consumed yet (direct or in the input pipe).</summary>
    public long InputBuffered { get; set; }

    /// <summary>Bytes written for sending and not sent yet (direct or flushed to the output pipe).</summary>
    public long OutputBuffered { get; set; }

    /// <summary>Length of the buffer handed to the receive in flight.</summary>
    public int ReceiveSize { get; set; }

    /// <summary>The buffer of the send in flight (read from the output pipe, advanced past once sent).</summary>
    public ReadOnlySequence<byte> Sending { get; set; }

    /// <summary>
    /// Set by <see cref="TransportResources.ReturnEmpty"/>: both pipes were read to the end and no
    /// operation holds them, so they are as good as new and skip the reset.
    /// </summary>
    public bool Empty { get; set; }

    /// <summary>Makes the buffers as new: pipes emptied (their memory back in the pool), counters zero.</summary>
    public void Reset()
    {
        if (Empty)
        {
            // A pipe read to its end has already given its segments back: completing and
            // resetting both pipes on every message was the costliest user-space item of an echo.
            Empty = false;
            return;
        }

        Input.Reader.Complete();
        Input.Writer.Complete();
        Input.Reset();
        Output.Reader.Complete();
        Output.Writer.Complete();
        Output.Reset();
        InputBuffered = 0;
        OutputBuffered = 0;
        ReceiveSize = 0;
        Sending = default;
        DirectInputLength = 0;
        ReceivingDirect = false;
        SendingDirect = false;
        Reply.Clear();
    }
}
