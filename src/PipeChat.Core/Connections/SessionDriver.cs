using System.Buffers;
using System.Diagnostics;
using PipeChat.Protocols;

namespace PipeChat.Connections;

/// <summary>
/// The session side of one connection, the same for every model (async on either socket I/O,
/// threads, iterative): what input does to the session, when the connection closes, and how
/// long closing may take. The models only move bytes between the socket and this driver.
/// </summary>
/// <remarks>
/// The close policy, once: the close flags are read before outbound output is drained, so what
/// was queued before a close request still goes out; ended input closes unless the session holds
/// it back (pause); the last output may keep flushing while bytes still move, and is given up once
/// nothing moved for a whole <see cref="LingerTimeout"/>; then unread input is drained for at most
/// one <see cref="LingerTimeout"/> so the close is a FIN, not a reset that loses the last bytes.
/// </remarks>
internal sealed class SessionDriver
{
    private readonly IStreamSession _session;
    private readonly IOutboundSource? _outbound;
    private int _closeRequested;
    private int _stopping;
    private int _closed;

    public SessionDriver(IStreamProtocol protocol, IConnectionOutput connection, TimeSpan lingerTimeout)
    {
        LingerTimeout = lingerTimeout;
        _session = protocol.CreateSession(connection);
        _outbound = _session as IOutboundSource;
    }

    /// <summary>How long a closing connection may wait for its output to move, and drains unread input.</summary>
    public TimeSpan LingerTimeout { get; }

    /// <summary>Whether the session has output of its own (chat broadcasts) besides its replies.</summary>
    public bool HasOutbound => _outbound is not null;

    /// <summary>After <see cref="SessionAction.Pause"/>: how long until input may be offered again.</summary>
    public TimeSpan InputPause => _session.InputPause;

    /// <summary>The session (or anyone) asked to flush and close.</summary>
    public bool CloseRequested => Volatile.Read(ref _closeRequested) != 0;

    /// <summary>The server is stopping: no more input; answer what was read, flush, close.</summary>
    public bool Stopping => Volatile.Read(ref _stopping) != 0;

    /// <summary>Either close flag: read it before draining outbound output.</summary>
    public bool CloseFlagged => CloseRequested || Stopping;

    /// <summary>An unexpected exception from the session, if one ended the connection.</summary>
    public Exception? Fault { get; private set; }

    public void RequestClose() => Volatile.Write(ref _closeRequested, 1);

    public void StopReceiving() => Volatile.Write(ref _stopping, 1);

    /// <summary>Records the first fault of the connection.</summary>
    public void Fail(Exception fault) => Fault ??= fault;

    /// <summary>
    /// Offers buffered input to the session; replies go to <paramref name="output"/>. Returns
    /// what the connection does next: <see cref="SessionAction.Close"/> also when the input has
    /// ended and nothing is held back, <see cref="SessionAction.Pause"/> for <see cref="InputPause"/>.
    /// </summary>
    public SessionAction OnInput(in ReadOnlySequence<byte> input, bool inputEnded, IBufferWriter<byte> output, out SequencePosition consumed)
    {
        var action = _session.OnInput(input, inputEnded, output, out consumed);
        return action == SessionAction.Continue && inputEnded ? SessionAction.Close : action;
    }

    /// <summary>
    /// <see cref="OnInput(in ReadOnlySequence{byte}, bool, IBufferWriter{byte}, out SequencePosition)"/> for a
    /// connection that reads into an array: offers its first <paramref name="buffered"/> bytes, then moves what
    /// the session kept to the front (<paramref name="buffered"/> becomes its length).
    /// </summary>
    public SessionAction OnInput(byte[]? buffer, ref int buffered, bool inputEnded, IBufferWriter<byte> output)
    {
        var input = buffer is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(buffer, 0, buffered);
        var action = OnInput(input, inputEnded, output, out var consumed);
        var used = (int)input.Slice(0, consumed).Length;
        if (used > 0)
        {
            buffer.AsSpan(used, buffered - used).CopyTo(buffer);
            buffered -= used;
        }

        return action;
    }

    /// <summary>
    /// Writes the session's outbound output into <paramref name="output"/>; false when the
    /// connection should close. The close request is read before draining: what was queued
    /// before it still goes out.
    /// </summary>
    public bool DrainOutbound(IBufferWriter<byte> output)
    {
        var closing = CloseRequested;
        var keepOpen = _outbound?.DrainTo(output) ?? true;
        return keepOpen && !closing;
    }

    /// <summary>Tells the session its connection is gone, once.</summary>
    public void OnClosed()
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0)
        {
            _session.OnClosed();
        }
    }

    /// <summary>Whether a closing connection keeps waiting for its last output: only while bytes still move.</summary>
    public static bool StillMoving(long sentBefore, long sentNow) => sentNow != sentBefore;

    /// <summary>When draining unread input on close must end (a <see cref="Stopwatch"/> timestamp).</summary>
    public long LingerDeadline() => Stopwatch.GetTimestamp() + (long)(LingerTimeout.TotalSeconds * Stopwatch.Frequency);

    /// <summary>Time left until <paramref name="deadline"/>, never negative.</summary>
    public static TimeSpan Remaining(long deadline) =>
        TimeSpan.FromSeconds(Math.Max(0, deadline - Stopwatch.GetTimestamp()) / (double)Stopwatch.Frequency);
}
