using System.Diagnostics;
using PipeChat.LoadTests.Reports;
using PipeChat.Tests.Support;

namespace PipeChat.Tests.LoadTests;

/// <summary>Renders the HTML reports in headless Chromium and checks the charts are in the DOM.</summary>
public sealed class ChromiumRenderTests : IDisposable
{
    private const string Chromium = "/usr/bin/chromium";
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "pipechat-chromium-" + Guid.NewGuid().ToString("N"));

    public ChromiumRenderTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [ToolFact(Chromium, "chromium")]
    public async Task Compare_report_charts_render_in_headless_chromium()
    {
        var paths = ReportWriter.WriteCompare(TestData.Compare("async", "threads"), _dir);
        string dom = await DumpDomAsync(paths[2]);
        foreach (var id in new[] { "chart-throughput", "chart-p99", "chart-rss", "chart-threads" })
        {
            Assert.Contains($"<svg class=\"chart\" id=\"{id}\"", dom, StringComparison.Ordinal);
        }

        Assert.Contains("<polyline", dom, StringComparison.Ordinal);
    }

    [ToolFact(Chromium, "chromium")]
    public async Task Starved_model_renders_flagged_with_failure_charts_and_reasons()
    {
        var paths = ReportWriter.WriteCompare(ReportTests.StarvedCompare(), _dir);
        string dom = await DumpDomAsync(paths[2]);
        foreach (var id in new[] { "chart-failures", "chart-starved" })
        {
            Assert.Contains($"<svg class=\"chart\" id=\"{id}\"", dom, StringComparison.Ordinal);
        }

        Assert.Contains("<tr class=\"flagged\">", dom, StringComparison.Ordinal);
        Assert.Contains("<h2>Failures by reason</h2>", dom, StringComparison.Ordinal);
        Assert.Contains("199/200 connections starved", dom, StringComparison.Ordinal);
    }

    [ToolFact(Chromium, "chromium")]
    public async Task Run_report_charts_render_in_headless_chromium()
    {
        var paths = ReportWriter.WriteRun(ReportTests.SampleRun(), _dir);
        string dom = await DumpDomAsync(paths[2]);
        foreach (var id in new[] { "chart-rps", "chart-latency", "chart-cpu" })
        {
            Assert.Contains($"<svg class=\"chart\" id=\"{id}\"", dom, StringComparison.Ordinal);
        }
    }

    private async Task<string> DumpDomAsync(string htmlPath)
    {
        Assert.True(
            File.Exists(Chromium),
            $"{Chromium} is missing: install the Debian package 'chromium' (apt-get install -y chromium) to run the HTML report rendering tests");
        string profile = Path.Combine(_dir, "profile-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(profile);
        var psi = new ProcessStartInfo(Chromium)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
        {
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--user-data-dir=" + profile, "--dump-dom", new Uri(htmlPath).AbsoluteUri,
        })
        {
            psi.ArgumentList.Add(arg);
        }

        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("headless chromium did not finish within 90 s");
        }

        string dom = await stdout;
        Assert.True(process.ExitCode == 0, $"chromium exited with {process.ExitCode}: {await stderr}");
        Assert.Contains("<svg", dom, StringComparison.Ordinal);
        return dom;
    }
}
