namespace PipeChat.Transport;

/// <summary>Told when a receive (or zero-byte wait) or a send of a <see cref="SocketIo"/> completes later.</summary>
internal interface ISocketIoCallback
{
    void OnReceiveCompleted();

    void OnSendCompleted();
}
