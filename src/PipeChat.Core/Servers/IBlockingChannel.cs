namespace PipeChat.Servers;

/// <summary>
/// How a <see cref="BlockingConnection"/> moves bytes: the socket itself for plain connections,
/// or a stream through the server's connection layers (TLS). The connection's session and close
/// policy stay the same either way.
/// </summary>
internal interface IBlockingChannel : IDisposable
{
    /// <summary>Prepares the channel on the connection's thread (TLS: the bounded handshake); false drops the connection.</summary>
    bool Open();

    /// <summary>Bytes read into the buffer, 0 at the end of input, -1 when the periodic stop check is due.</summary>
    int Receive(byte[] buffer, int offset, int count);

    /// <summary>Sends everything, blocking; returns the bytes given.</summary>
    void Send(ReadOnlySpan<byte> data);

    /// <summary>Ends our side: the layers' close (TLS close_notify), then FIN.</summary>
    void ShutdownSend();

    /// <summary>Reads and drops raw input after our FIN: bytes read, 0 at the peer's EOF, -1 when nothing came in <paramref name="wait"/>.</summary>
    int DrainReceive(byte[] scratch, TimeSpan wait);

    /// <summary>Interrupts a blocked receive or handshake (graceful stop); the read loop then checks the stop flags.</summary>
    void Stop();

    /// <summary>Closes the socket now; blocked calls fail.</summary>
    void Abort();
}
