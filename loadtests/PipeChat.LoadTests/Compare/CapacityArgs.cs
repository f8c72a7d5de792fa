using System.Diagnostics;

namespace PipeChat.LoadTests.Compare;

/// <summary>
/// The one place that switches pipechat's flood limit off for capacity runs: a capacity run measures
/// how fast the server relays, which a per-member line rate would cap. <c>--max-line-rate 0</c> is added
/// only when the server's <c>chat --help</c> lists the option (builds from before it reject unknown options).
/// </summary>
public static class CapacityArgs
{
    /// <summary>What a capacity run adds to pipechat's command line.</summary>
    public const string FloodLimitOff = "--max-line-rate 0";

    /// <summary>Gets a value indicating whether a scenario measures capacity (and so runs without the flood limit).</summary>
    public static bool IsCapacityRun(string scenario) => scenario == "chat";

    /// <summary>Asks <c>dotnet DLL chat --help</c> whether the server knows <c>--max-line-rate</c>.</summary>
    public static async Task<bool> ServerKnowsMaxLineRateAsync(string dll, CancellationToken cancellationToken)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { dll, "chat", "--help" })
        {
            psi.ArgumentList.Add(arg);
        }

        using var process = Process.Start(psi);
        if (process is null)
        {
            return false;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
            string help = await process.StandardOutput.ReadToEndAsync(timeout.Token).ConfigureAwait(false);
            await stderr.ConfigureAwait(false);
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            return help.Contains("--max-line-rate", StringComparison.Ordinal);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            return false;
        }
    }
}
