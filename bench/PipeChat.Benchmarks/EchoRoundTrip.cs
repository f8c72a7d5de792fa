using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Filters;
using PipeChat.Benchmarks.Support;
using PipeChat.Servers;

namespace PipeChat.Benchmarks;

/// <summary>
/// Echo round trips over loopback against an in-process echo server of each model.
/// One op = one message sent and its echo fully read back (Mean is time per round trip).
/// </summary>
/// <remarks>
/// <para>
/// Every invoke runs <see cref="RoundTripsPerInvoke"/> round trips: with one connection they go one
/// after another (latency), with 64 connections all 64 go at once (throughput: Mean is then the
/// inverse of round trips per second, not a latency).
/// </para>
/// <para>
/// The clients allocate nothing per round trip (<see cref="EchoClients"/>), and the server runs in
/// the benchmark process, whose allocations MemoryDiagnoser counts process-wide: Allocated is what
/// the server model (and the runtime's socket engine) costs per message.
/// </para>
/// <para>
/// Iterative × 64 connections is not a valid case (the iterative server serves one connection at a
/// time, so 63 clients would wait forever); <see cref="Config"/> filters it out of the case list.
/// </para>
/// </remarks>
[MemoryDiagnoser]
[ThreadingDiagnoser]
[Config(typeof(Config))]
public class EchoRoundTrip
{
    /// <summary>Round trips per invoke whatever the connection count (64 = the largest count).</summary>
    public const int RoundTripsPerInvoke = 64;

    private IServer? _server;
    private EchoClients? _clients;
    private int _waves;

    [Params(ConnectionModel.Iterative, ConnectionModel.Threads, ConnectionModel.Async)]
    public ConnectionModel Model { get; set; }

    [Params(32, 4096, 65536)]
    public int MessageSize { get; set; }

    [Params(1, 64)]
    public int Connections { get; set; }

    /// <summary>Only combinations a model can serve (see the remarks on the class).</summary>
    public static bool IsValid(ConnectionModel model, int connections) =>
        model != ConnectionModel.Iterative || connections == 1;

    [GlobalSetup]
    public void Setup()
    {
        if (!IsValid(Model, Connections))
        {
            throw new NotSupportedException($"{Model} cannot serve {Connections} connections at once.");
        }

        if (RoundTripsPerInvoke % Connections != 0)
        {
            throw new NotSupportedException($"Connections must divide {RoundTripsPerInvoke}.");
        }

        _waves = RoundTripsPerInvoke / Connections;
        _server = EchoServers.Start(Model);
        _clients = EchoClients.Connect(_server.LocalEndPoint, Connections, MessageSize);

        // Every connection accepted and echoing correctly before anything is measured.
        _clients.RoundTrips(1);
        _clients.VerifyLastEcho();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _clients?.Dispose();
        EchoServers.Stop(_server);
    }

    [Benchmark(OperationsPerInvoke = RoundTripsPerInvoke)]
    public ValueTask RoundTrip() => _clients!.RoundTripsAsync(_waves);

    /// <summary>Drops the cases <see cref="IsValid"/> rejects, whatever the command line asks.</summary>
    private sealed class Config : ManualConfig
    {
        public Config() => AddFilter(new SimpleFilter(benchmark =>
        {
            var model = (ConnectionModel)benchmark.Parameters[nameof(Model)];
            var connections = (int)benchmark.Parameters[nameof(Connections)];
            return IsValid(model, connections);
        }));
    }
}
