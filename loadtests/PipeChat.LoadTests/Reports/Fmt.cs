using System.Globalization;

namespace PipeChat.LoadTests.Reports;

/// <summary>Invariant number formatting shared by the report writers.</summary>
internal static class Fmt
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string N(double value, string format = "0.##") => value.ToString(format, Inv);

    public static string N(long value) => value.ToString(Inv);

    public static string Ms(double micros) => (micros / 1000).ToString("0.###", Inv);

    public static string MiB(long kb) => (kb / 1024.0).ToString("0.0", Inv);

    public static string Compact(double value)
    {
        double a = Math.Abs(value);
        return a switch
        {
            >= 1e9 => (value / 1e9).ToString("0.##", Inv) + "G",
            >= 1e6 => (value / 1e6).ToString("0.##", Inv) + "M",
            >= 1e4 => (value / 1e3).ToString("0.#", Inv) + "k",
            >= 100 => value.ToString("0", Inv),
            >= 1 => value.ToString("0.##", Inv),
            0 => "0",
            _ => value.ToString("0.###", Inv),
        };
    }

    public static string Percent(double fraction) => (fraction * 100).ToString("0.###", Inv) + " %";
}
