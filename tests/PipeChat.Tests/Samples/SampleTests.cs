using System.Text;
using PipeChat.Tests.Support;

namespace PipeChat.Tests.Samples;

/// <summary>Each sample under samples/, built with the solution, serves a line over a real socket.</summary>
public sealed class SampleTests
{
    [Theory]
    [InlineData("Echo", "hello, sample\n", "hello, sample\n")]
    [InlineData("Reverse", "hello, sample\n", "elpmas ,olleh\n")]
    [InlineData("HostedReverse", "hello, sample\n", "elpmas ,olleh\n")]
    public async Task A_sample_serves_a_line(string sample, string line, string reply)
    {
        using var process = CliProcess.StartDll(SampleDll(sample), "--port 0");
        var endPoint = await process.ReadyAsync();
        Assert.Contains("127.0.0.1", endPoint.ToString(), StringComparison.Ordinal);

        using var client = await TestClient.ConnectAsync(endPoint);
        await client.SendAsync(line);
        Assert.Equal(reply, Encoding.ASCII.GetString(await client.ReceiveExactlyAsync(Encoding.ASCII.GetByteCount(reply))));

        process.Signal("TERM");
        Assert.Equal(0, await process.ExitCodeAsync());
    }

    // tests/PipeChat.Tests/bin/CONFIGURATION/TFM/ → samples/NAME/bin/CONFIGURATION/TFM/PipeChat.Samples.NAME.dll
    private static string SampleDll(string sample)
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = output.Parent!.Name;
        var repository = output.Parent.Parent!.Parent!.Parent!.Parent!.FullName;
        var dll = Path.Combine(repository, "samples", sample, "bin", configuration, output.Name, $"PipeChat.Samples.{sample}.dll");
        Assert.True(File.Exists(dll), $"{dll} not built");
        return dll;
    }
}
