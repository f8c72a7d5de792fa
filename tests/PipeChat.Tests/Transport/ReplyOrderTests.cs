using System.Buffers;
using System.Net.Sockets;
using System.Text;
using PipeChat.Protocols;
using PipeChat.Tests.Support;

namespace PipeChat.Tests.Transport;

/// <summary>
/// Replies and unconsumed input keep their order whichever way the bytes go: the async model
/// receives into and replies from small arrays while its pipes are empty and falls back to the
/// pipes for rests (partial lines), replies bigger than the array, and output that waits behind
/// a send in flight. Every model gets the same stream and must answer it byte for byte.
/// </summary>
public class ReplyOrderTests
{
    [Theory]
    [MemberData(nameof(TestServers.TcpEchoModels), MemberType = typeof(TestServers))]
    public async Task Split_lines_and_large_replies_come_back_complete_and_in_order(TcpModel model)
    {
        var random = new Random(19);
        var request = new StringBuilder();
        var expected = new StringBuilder();
        for (var i = 0; i < 600; i++)
        {
            // Mostly one copy (a small reply), now and then hundreds (a reply of several KiB), rarely
            // thousands (more than the output pause threshold: input then waits for the client).
            var copies = random.Next(10) switch
            {
                0 => random.Next(100, 900),
                1 when random.Next(8) == 0 => random.Next(5000, 9000),
                _ => 1,
            };
            var line = $"{copies}:line {i}\n";
            request.Append(line);
            for (var c = 0; c < copies; c++)
            {
                expected.Append(line);
            }
        }

        var bytes = Encoding.ASCII.GetBytes(request.ToString());
        await using var server = TestServers.StartTcp(model, new RepeatProtocol());

        // A small receive buffer on the client: the server's sends fill the socket and have to wait.
        using var client = await TestClient.ConnectAsync(server.LocalEndPoint, bufferSize: 4096);
        var reading = client.ReceiveToEndAsync();

        // Chunks that split lines anywhere, so rests of lines wait for their ends.
        for (var offset = 0; offset < bytes.Length;)
        {
            var length = Math.Min(random.Next(1, 300), bytes.Length - offset);
            await client.SendAsync(bytes.AsMemory(offset, length));
            offset += length;
        }

        client.Socket.Shutdown(SocketShutdown.Send);
        var answer = Encoding.ASCII.GetString(await reading.WithTimeout("all replies"));
        Assert.Equal(expected.Length, answer.Length);
        Assert.True(expected.ToString() == answer, "the replies differ from the expected stream");
    }

    /// <summary>"N:text\n" is answered with the whole line N times; a partial line waits for its end.</summary>
    private sealed class RepeatProtocol : IStreamProtocol, IStreamSession
    {
        public string Name => "repeat";

        public TimeSpan InputPause => TimeSpan.Zero;

        public IStreamSession CreateSession(IConnectionOutput connection) => this;

        public void OnServerStopping()
        {
        }

        public void OnClosed()
        {
        }

        public SessionAction OnInput(in ReadOnlySequence<byte> input, bool inputEnded, IBufferWriter<byte> output, out SequencePosition consumed)
        {
            var reader = new SequenceReader<byte>(input);
            while (reader.TryReadTo(out ReadOnlySequence<byte> line, (byte)'\n'))
            {
                var text = line.ToArray();
                var colon = Array.IndexOf(text, (byte)':');
                var copies = int.Parse(text.AsSpan(0, colon), provider: null);
                for (var c = 0; c < copies; c++)
                {
                    // Written in two pieces, as sessions that format replies do.
                    output.Write(text);
                    output.Write("\n"u8);
                }
            }

            consumed = reader.Position;
            return SessionAction.Continue;
        }
    }
}
