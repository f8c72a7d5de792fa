using System.Buffers;
using System.IO.Pipelines;

namespace PipeChat.Transport;

/// <summary>
/// What a connection needs only while bytes are moving: the input and output pipes. Rented from <see cref="TransportResources"/> when a connection has work and
/// returned as soon as both pipes are empty and nothing is in flight, so an idle connection
/// holds none of it.
/// </summary>
internal sealed class ConnectionBuffers
{
    public ConnectionBuffers(PipeOptions input, PipeOptions output)
    {
        Input = new Pipe(input);
        Output = new Pipe(output);
    }

    public Pipe Input { get; }

    public Pipe Output { get; }

    /// <summary>Received bytes the session has not consumed yet.</summary>
    public long InputBuffered { get; set; }

    /// <summary>Bytes flushed to the output pipe and not sent yet.</summary>
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
    }
}
