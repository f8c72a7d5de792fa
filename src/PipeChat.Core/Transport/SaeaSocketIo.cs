using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using Microsoft.Extensions.ObjectPool;

namespace PipeChat.Transport;

/// <summary>
/// Socket I/O on the runtime's SocketAsyncEventArgs, as Kestrel's socket transport does it:
/// portable, but every receive first tries the syscall and, in request/response traffic,
/// that try comes back empty once per message (see <see cref="Epoll.EpollSocketIo"/>).
/// The receive args live with the connection (one per connection, no buffer while idle); the
/// send args are pooled and held only while a send is in flight.
/// </summary>
internal sealed class SaeaSocketIo : SocketIo, ISocketOperationCallback
{
    private readonly SocketReceiver _receiver = new(PipeScheduler.Inline);
    private readonly ObjectPool<SocketSender> _senders;
    private SocketSender? _sender;

    public SaeaSocketIo(Socket socket, ISocketIoCallback callback, ObjectPool<SocketSender> senders)
        : base(socket, callback)
    {
        _senders = senders;
    }

    public override bool StartWaitForData() => Receive(Memory<byte>.Empty, wait: true);

    public override bool StartReceive(Memory<byte> buffer) => Receive(buffer, wait: false);

    private bool Receive(Memory<byte> buffer, bool wait)
    {
        try
        {
            // The wait is a zero-byte receive: readiness without holding memory.
            if (wait ? _receiver.StartWaitForData(Socket, this) : _receiver.StartReceive(Socket, buffer, this))
            {
                return true;
            }
        }
        catch (ObjectDisposedException)
        {
            // Closed from another thread meanwhile: nothing is in flight.
            _receiver.ClearBuffer();
            ReceiveError = SocketError.OperationAborted;
            BytesReceived = 0;
            return false;
        }

        TakeReceive();
        return false;
    }

    public override bool StartSend(in ReadOnlySequence<byte> buffer)
    {
        var sender = _sender = _senders.Get();
        try
        {
            if (sender.StartSend(Socket, buffer, this))
            {
                return true;
            }
        }
        catch (ObjectDisposedException)
        {
            _sender = null;
            ReturnSender(sender);
            SendError = SocketError.OperationAborted;
            return false;
        }

        TakeSend();
        return false;
    }

    public override void Close() => Socket.Dispose();

    public override void Dispose()
    {
        Socket.Dispose();
        _receiver.Dispose();
    }

    void ISocketOperationCallback.OnOperationCompleted(AwaitableSocketEventArgs operation)
    {
        if (ReferenceEquals(operation, _receiver))
        {
            TakeReceive();
            Callback.OnReceiveCompleted();
        }
        else
        {
            TakeSend();
            Callback.OnSendCompleted();
        }
    }

    private void TakeReceive()
    {
        ReceiveError = _receiver.SocketError;
        BytesReceived = _receiver.BytesTransferred;
        _receiver.ClearBuffer();
    }

    private void TakeSend()
    {
        var sender = _sender!;
        _sender = null;
        SendError = sender.SocketError;
        ReturnSender(sender);
    }

    private void ReturnSender(SocketSender sender)
    {
        sender.ClearBuffers();
        _senders.Return(sender);
    }

    /// <summary>Pools the send args of one server.</summary>
    public sealed class Factory : ISocketIoFactory
    {
        private readonly ObjectPool<SocketSender> _senders =
            new DefaultObjectPoolProvider { MaximumRetained = Math.Max(256, Environment.ProcessorCount * 64) }
                .Create(new SenderPolicy());

        public SocketIo Create(Socket socket, ISocketIoCallback callback) => new SaeaSocketIo(socket, callback, _senders);

        private sealed class SenderPolicy : IPooledObjectPolicy<SocketSender>
        {
            public SocketSender Create() => new(PipeScheduler.Inline);

            public bool Return(SocketSender obj) => true;
        }
    }
}
