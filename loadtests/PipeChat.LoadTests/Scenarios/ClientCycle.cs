using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using PipeChat.LoadTests.Sockets;

namespace PipeChat.LoadTests.Scenarios;

/// <summary>What one short-lived client did: how long its connect took and the bytes it moved.</summary>
internal readonly record struct CycleResult(long ConnectTicks, long BytesOut, long BytesIn);

/// <summary>
/// One short-lived client (slowloris' legitimate client, storm, soak): connect, check the server serves
/// it, exchange <c>extra</c> more messages, leave. Echo: 16-byte messages echoed and checked.
/// Chat: <c>* welcome NAME</c> first (<c>! server full</c> and other <c>!</c> lines are refusals), then
/// the extra lines, then <c>/quit</c> answered by <c>* bye</c>. Throws on any failure.
/// </summary>
internal static class ClientCycle
{
    private const int ProbeSize = 16;
    private static readonly EchoPattern Pattern = new(ProbeSize);

    public static async Task<CycleResult> RunAsync(IPEndPoint target, bool chat, int extra, ScenarioSettings settings, int id, CancellationToken cancellationToken)
    {
        long start = Stopwatch.GetTimestamp();
        using var conn = await TcpConnection.ConnectAsync(target, settings.ConnectTimeout, settings.OperationTimeout, cancellationToken).ConfigureAwait(false);
        long connectTicks = Stopwatch.GetTimestamp() - start;
        return chat
            ? await ChatAsync(conn, connectTicks, extra, id).ConfigureAwait(false)
            : await EchoAsync(conn, connectTicks, extra, id).ConfigureAwait(false);
    }

    private static async Task<CycleResult> EchoAsync(TcpConnection conn, long connectTicks, int extra, int id)
    {
        var buffer = new byte[ProbeSize];
        for (int seq = 0; seq <= extra; seq++)
        {
            await conn.SendAsync(Pattern.Message(id, seq)).ConfigureAwait(false);
            await conn.ReceiveExactlyAsync(buffer).ConfigureAwait(false);
            if (!Pattern.Matches(id, seq, 0, buffer))
            {
                throw new InvalidDataException(Harness.FailureReason.Mismatch);
            }
        }

        long bytes = (long)ProbeSize * (extra + 1);
        return new CycleResult(connectTicks, bytes, bytes);
    }

    private static async Task<CycleResult> ChatAsync(TcpConnection conn, long connectTicks, int extra, int id)
    {
        var reader = new LineReader(conn);
        string first = await reader.ReadLineAsync().ConfigureAwait(false) ?? throw new EndOfStreamException("closed before the welcome line");
        if (!first.StartsWith("* welcome ", StringComparison.Ordinal))
        {
            throw new ServerRefusedException(first.StartsWith("! server full", StringComparison.Ordinal) ? "server full" : "no welcome");
        }

        var sb = new StringBuilder();
        for (int i = 0; i < extra; i++)
        {
            sb.Append(CultureInfo.InvariantCulture, $"client {id} line {i}\n");
        }

        sb.Append("/quit\n");
        byte[] lines = Encoding.UTF8.GetBytes(sb.ToString());
        await conn.SendAsync(lines).ConfigureAwait(false);
        while (true)
        {
            // the others' lines and notices may come first
            string line = await reader.ReadLineAsync().ConfigureAwait(false) ?? throw new EndOfStreamException("closed before '* bye'");
            if (line == "* bye")
            {
                return new CycleResult(connectTicks, lines.Length, reader.BytesIn);
            }
        }
    }
}
