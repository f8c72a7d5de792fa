using System.Buffers;

namespace PipeChat.Protocols.Echo;

/// <summary>An echo connection with an idle timeout: echoes as <see cref="EchoProtocol"/> does and remembers when the peer last sent.</summary>
internal sealed class IdleEchoSession(EchoProtocol echo, SessionSweeper sweeper, IConnectionOutput connection) : IStreamSession, ISweptSession
{
    private long _lastInput = sweeper.Time.GetTimestamp();
    private int _expired;

    public TimeSpan InputPause => TimeSpan.Zero;

    public SessionAction OnInput(in ReadOnlySequence<byte> input, bool inputEnded, IBufferWriter<byte> output, out SequencePosition consumed)
    {
        if (!input.IsEmpty)
        {
            Volatile.Write(ref _lastInput, sweeper.Time.GetTimestamp());
        }

        return echo.OnInput(input, inputEnded, output, out consumed);
    }

    public void OnClosed() => sweeper.Remove(this);

    void ISweptSession.Sweep(long now)
    {
        if (sweeper.Time.GetElapsedTime(Volatile.Read(ref _lastInput), now) >= echo.IdleTimeout
            && Interlocked.Exchange(ref _expired, 1) == 0)
        {
            echo.IdleTimeouts.Hit();
            connection.RequestClose();
        }
    }
}
