using BenchmarkDotNet.Running;

namespace PipeChat.Benchmarks;

/// <summary>
/// Entry point: every suite in this assembly behind BenchmarkDotNet's own command line, so
/// <c>--filter</c>, <c>--list flat</c>, <c>--job short</c>, <c>--inProcess</c> etc. work as usual.
/// </summary>
/// <example>
/// <code>dotnet run -c Release --project bench/PipeChat.Benchmarks -- --filter '*Framing*' --job short</code>
/// </example>
public static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
