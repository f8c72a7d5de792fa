using System.Globalization;
using System.Text.RegularExpressions;

namespace PipeChat.Tests.Support;

/// <summary>Reads a started <c>pipechat</c>'s metrics endpoint: its port from the log, <c>/metrics</c> as values, other paths as text.</summary>
public static partial class MetricsScrape
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    /// <summary>The port of the metrics endpoint the process logged (<c>metrics at http://HOST:PORT/metrics</c>).</summary>
    public static async Task<int> PortAsync(CliProcess cli)
    {
        await Wait.UntilAsync(() => MetricsUrl().IsMatch(cli.Stderr), "metrics endpoint logged");
        return int.Parse(MetricsUrl().Match(cli.Stderr).Groups[1].Value, CultureInfo.InvariantCulture);
    }

    /// <summary>Every <c>pipechat_*</c> sample of <c>/metrics</c>, keyed by name with its labels.</summary>
    public static async Task<Dictionary<string, double>> ScrapeAsync(int port)
    {
        var values = new Dictionary<string, double>();
        foreach (var line in (await GetAsync(port, "/metrics")).Split('\n'))
        {
            if (line.StartsWith("pipechat_", StringComparison.Ordinal))
            {
                var space = line.LastIndexOf(' ');
                values[line[..space]] = double.Parse(line[(space + 1)..], CultureInfo.InvariantCulture);
            }
        }

        return values;
    }

    public static Task<string> GetAsync(int port, string path) => Http.GetStringAsync(new Uri($"http://127.0.0.1:{port}{path}"));

    [GeneratedRegex(@"metrics at http://[^:/]+:(\d+)/metrics")]
    private static partial Regex MetricsUrl();
}
