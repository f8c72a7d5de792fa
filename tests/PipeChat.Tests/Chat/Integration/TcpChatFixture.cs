using System.Net;
using PipeChat.Servers;
using PipeChat.Protocols.Chat;
using PipeChat.Tests.Support;

namespace PipeChat.Tests.Chat.Integration;

/// <summary>A TCP chat server of one model on 127.0.0.1:0, with its members; disposes all of them.</summary>
internal sealed class TcpChatFixture : IAsyncDisposable
{
    private readonly List<ChatTestClient> _clients = [];

    private TcpChatFixture(ChatProtocol protocol, IServer server)
    {
        Protocol = protocol;
        Server = server;
    }

    public ChatProtocol Protocol { get; }

    public IServer Server { get; }

    public IPEndPoint EndPoint => Server.LocalEndPoint;

    public static TcpChatFixture Start(
        TcpModel model,
        int maxLine = 4096,
        int maxPendingOutput = 1024 * 1024,
        TimeSpan idleTimeout = default,
        int maxConnections = 10_000,
        int maxConnectionsPerIp = 0,
        int maxLineRate = 0,
        TimeSpan lineTimeout = default)
    {
        var protocol = new ChatProtocol(new ChatLimits
        {
            MaxLine = maxLine,
            MaxPendingOutput = maxPendingOutput,
            IdleTimeout = idleTimeout,
            MaxLineRate = maxLineRate,
            LineTimeout = lineTimeout,
        });
        try
        {
            return new TcpChatFixture(protocol, TestServers.StartTcp(model, protocol, maxConnections, maxConnectionsPerIp));
        }
        catch
        {
            protocol.Dispose();
            throw;
        }
    }

    /// <summary>A connected member that has read its welcome.</summary>
    public async Task<ChatTestClient> JoinAsync() => Track(await ChatTestClient.JoinAsync(EndPoint));

    /// <summary>A connection that has read nothing yet.</summary>
    public async Task<ChatTestClient> ConnectAsync(int? bufferSize = null, IPAddress? from = null) => Track(await ChatTestClient.ConnectAsync(EndPoint, bufferSize, from));

    /// <summary>
    /// Joins <paramref name="count"/> members one after another; every earlier member must get
    /// exactly <c>* NAME joined</c> for each later one, so all streams are clean afterwards.
    /// </summary>
    public async Task<ChatTestClient[]> JoinAllAsync(int count)
    {
        var members = new List<ChatTestClient>();
        for (var i = 0; i < count; i++)
        {
            var member = await JoinAsync();
            foreach (var earlier in members)
            {
                await earlier.ExpectAsync($"* {member.Name} joined");
            }

            members.Add(member);
        }

        return [.. members];
    }

    /// <summary>Names as <c>/who</c> lists them: sorted ignoring case, space separated.</summary>
    public static string Sorted(params string[] names) => string.Join(' ', names.Order(StringComparer.OrdinalIgnoreCase));

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        // Bounded: a connection that never finishes closing must fail the test, not hang the run.
        await Server.DisposeAsync().AsTask().WithTimeout("server dispose");
        Protocol.Dispose();
    }

    private ChatTestClient Track(ChatTestClient client)
    {
        _clients.Add(client);
        return client;
    }
}
