using System.Diagnostics;
using System.Net.Sockets;

namespace PipeChat.Transport;

/// <summary>
/// A connected stream socket (TCP or Unix) as a <see cref="Stream"/>, for connection layers that
/// need one (<see cref="System.Net.Security.SslStream"/>). Async calls are the socket's own
/// allocation-free ValueTask operations, and a zero-byte read waits for data without a buffer.
/// Sync reads wait in short polls, so a blocking reader can be told to stop (<see cref="StopRequested"/>)
/// or given a deadline (<see cref="ReadDeadline"/>) without receive timeouts, which could leave a
/// layer above mid-record. Counts the bytes that move, for "still moving" checks on close.
/// </summary>
internal class SocketStream(Socket socket) : Stream
{
    // How often a blocked sync read looks at its stop condition and deadline.
    private static readonly int PollMicroseconds = 200_000;

    private long _sent;

    public Socket Socket { get; } = socket;

    /// <summary>Sync reads throw <see cref="ReceiveStoppedException"/> once this returns true while no data is waiting.</summary>
    public Func<bool>? StopRequested { get; set; }

    /// <summary>A <see cref="Stopwatch"/> timestamp after which a sync read waiting for data throws <see cref="TimeoutException"/>; 0 is none.</summary>
    public long ReadDeadline { get; set; }

    /// <summary>Bytes written so far.</summary>
    public long BytesSent => Volatile.Read(ref _sent);

    /// <summary>Counts bytes written (for subclasses with I/O of their own).</summary>
    protected void CountSent(int count) => Interlocked.Add(ref _sent, count);

    /// <summary>Closes the socket now (Dispose calls it): operations in flight end with an error.</summary>
    public virtual void CloseSocket() => Socket.Dispose();

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        while (!Socket.Poll(PollMicroseconds, SelectMode.SelectRead))
        {
            if (StopRequested?.Invoke() == true)
            {
                throw new ReceiveStoppedException();
            }

            if (ReadDeadline != 0 && Stopwatch.GetTimestamp() > ReadDeadline)
            {
                throw new TimeoutException("no data before the deadline");
            }
        }

        var count = Socket.Receive(buffer, SocketFlags.None, out var error);
        return error == SocketError.Success ? count : throw new IOException("receive failed", new SocketException((int)error));
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);

    /// <summary>Reads what the peer still sends after a close (past the layers, after our FIN); 0 at EOF.</summary>
    public virtual ValueTask<int> DrainAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        Socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            var sent = Socket.Send(buffer, SocketFlags.None);
            Interlocked.Add(ref _sent, sent);
            buffer = buffer[sent..];
        }
    }

    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!buffer.IsEmpty)
        {
            var sent = await Socket.SendAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            Interlocked.Add(ref _sent, sent);
            buffer = buffer[sent..];
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            CloseSocket();
        }

        base.Dispose(disposing);
    }
}
