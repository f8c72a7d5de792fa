using System.Buffers;
using System.Net.Sockets;
using PipeChat.Protocols;
using PipeChat.Servers;
using PipeChat.Tests.Support;
using PipeChat.Transport;

namespace PipeChat.Tests.Tls;

/// <summary>
/// A TLS connection whose session paused its input (a rate limit) and is then asked to close from another
/// connection's thread, as a chat hub does inside its locks: nothing of the connection may run on that thread.
/// </summary>
public sealed class TlsPauseTests : IDisposable
{
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(10);
    private readonly TestTls.CertificateFiles _files = new();
    private readonly string _unixPath = TestServers.UnixPath();

    public void Dispose()
    {
        _files.Dispose();
        File.Delete(_unixPath);
    }

    [Theory]
    [InlineData(false, SocketIoKind.Epoll)]
    [InlineData(true, SocketIoKind.Epoll)]
    [InlineData(false, SocketIoKind.Saea)]
    [InlineData(true, SocketIoKind.Saea)]
    public async Task A_paused_connection_asked_to_close_from_another_thread_runs_nothing_there(bool unix, SocketIoKind io)
    {
        // The pause is cut short by the close request, on the requesting thread.
        var protocol = new PausingProtocol();
        await using var server = Start(unix, protocol, io);
        await using var client = await ConnectAsync(server, unix);
        await client.SendAsync("go\n");
        var session = await protocol.Paused.Task.WithTimeout("paused", Prompt);

        // The client is done too (close_notify, FIN; on loopback they are in the server's socket when these
        // return): nothing left to wait for, the whole close could run on the thread that asked for it.
        await client.Stream.ShutdownAsync();
        client.Socket.Shutdown(SocketShutdown.Send);
        var closer = new Thread(session.CloseFromThisThread); // No synchronization context: continuations may run inline.
        closer.Start();
        Assert.True(closer.Join(Prompt), "RequestClose returned");

        await session.Closed.Task.WithTimeout("closed", Prompt);
        Assert.Equal(0, session.CallsOnClosingThread);
    }

    private AsyncTcpServer Start(bool unix, IStreamProtocol protocol, SocketIoKind io) =>
        TestTls.StartAsyncModel(TestTls.Layer(_files), protocol, io, unix ? _unixPath : null);

    private Task<TestTls.Client> ConnectAsync(AsyncTcpServer server, bool unix) =>
        TestTls.Client.ConnectAsync(TestTls.EndPointOf(server, unix ? _unixPath : null));

    /// <summary>Pauses its input for a minute at the first line; closing it is asked from a test thread.</summary>
    private sealed class PausingProtocol : IStreamProtocol
    {
        public TaskCompletionSource<Session> Paused { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Name => "pausing";

        public IStreamSession CreateSession(IConnectionOutput connection) => new Session(this, connection);

        public void OnServerStopping()
        {
        }

        public sealed class Session(PausingProtocol protocol, IConnectionOutput connection) : IStreamSession
        {
            private int _closingThread;
            private int _callsOnClosingThread;

            public TaskCompletionSource Closed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

            public int CallsOnClosingThread => Volatile.Read(ref _callsOnClosingThread);

            public TimeSpan InputPause
            {
                get
                {
                    Check();

                    // Asked right before the connection starts waiting: from here it sits in its pause.
                    protocol.Paused.TrySetResult(this);
                    return TimeSpan.FromMinutes(1);
                }
            }

            /// <summary>Asks the connection to close and marks this thread for the length of the call.</summary>
            public void CloseFromThisThread()
            {
                Volatile.Write(ref _closingThread, Environment.CurrentManagedThreadId);
                try
                {
                    connection.RequestClose();
                }
                finally
                {
                    Volatile.Write(ref _closingThread, 0);
                }
            }

            public SessionAction OnInput(in ReadOnlySequence<byte> input, bool inputEnded, IBufferWriter<byte> output, out SequencePosition consumed)
            {
                Check();
                consumed = input.Start;
                return inputEnded ? SessionAction.Close : SessionAction.Pause;
            }

            public void OnClosed()
            {
                Check();
                Closed.TrySetResult();
            }

            private void Check()
            {
                if (Volatile.Read(ref _closingThread) == Environment.CurrentManagedThreadId)
                {
                    Interlocked.Increment(ref _callsOnClosingThread);
                }
            }
        }
    }
}
