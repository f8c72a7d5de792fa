using PipeChat.LoadTests.Compare;
using PipeChat.LoadTests.Harness;
using PipeChat.LoadTests.Scenarios;
using PipeChat.Tests.Support;

namespace PipeChat.Tests.LoadTests;

/// <summary><c>compare --nodes 1,2 --nats URL</c>: one chat node beside a cluster of two, real servers over this class's nats-server.</summary>
[Collection(LoadTestsSerial.Name)]
public sealed class CompareClusterTests(NatsServer nats) : IClassFixture<NatsServer>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("pipechat-compare-cluster-").FullName;

    [NatsFact]
    public async Task Compare_puts_one_node_beside_a_cluster_and_every_member_on_either_node_gets_every_line()
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "pipechat.dll");
        var options = new CompareOptions
        {
            Scenario = "chat",
            Models = ["async"],
            Connections = [6],
            Nodes = [1, 2],
            NatsUrl = nats.Url,
            Settings = new ScenarioSettings { Duration = TimeSpan.FromSeconds(1), WarmUp = TimeSpan.FromMilliseconds(200), Publishers = 1, Rate = 50, OperationTimeout = TimeSpan.FromSeconds(10) },
            ServerCommand = $"dotnet {dll} chat --model {{model}} --port 0",
            RepositoryRoot = _dir,
            StopTimeout = TimeSpan.FromSeconds(10),
            RunOptions = new RunOptions { Progress = ProgressMode.Off },
            Log = TextWriter.Null,
        };

        var report = await CompareRunner.RunAsync(options);

        Assert.Equal(["async", "async ×2 nodes"], report.Rows.Select(r => r.Model));
        foreach (var row in report.Rows)
        {
            Assert.Null(row.Error);
            Assert.True(row.Stats!.Ok > 0, $"{row.Model}: no line delivered");

            // Half the members sit on the second node: a line that did not cross NATS counts as lost.
            Assert.True(row.Stats.Failed == 0, $"{row.Model}: " + string.Join(", ", row.Stats.Errors.Select(e => $"{e.Key}={e.Value}")));
        }

        Assert.Contains("a cluster over", report.Settings["nodes"], StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
