using System.Globalization;
using System.Net;
using System.Text;

namespace PipeChat.LoadTests.Reports;

/// <summary>One line of a chart.</summary>
public sealed record ChartSeries(string Name, IReadOnlyList<ChartPoint> Points);

/// <summary>One point of a series; a <paramref name="Flag"/> (why the value must not be taken at face value) draws a red ring.</summary>
public readonly record struct ChartPoint(double X, double Y, string? Flag = null);

/// <summary>
/// A line chart rendered as a self-contained inline <c>&lt;svg class="chart" id="..."&gt;</c> with axes,
/// tick labels, axis titles and a legend; no scripts, styles or fonts from elsewhere. It scales to the
/// width of its container (viewBox, width 100 %), so the page decides how large it is drawn.
/// </summary>
public sealed record SvgLineChart(string Id, string Title, string XLabel, string YLabel, IReadOnlyList<ChartSeries> Series, bool LogX = false)
{
    private const int Width = 680;
    private const int Height = 340;
    private const int Left = 72;
    private const int Right = 150;
    private const int Top = 40;
    private const int Bottom = 52;

    private static readonly double[] NiceSteps = [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10];
    private static readonly double[] TickSteps = [1, 2, 5, 10];

    private static readonly string[] Palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];

    /// <summary>Renders the chart.</summary>
    public string Render()
    {
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        int plotW = Width - Left - Right, plotH = Height - Top - Bottom;
        sb.Append(inv, $"<svg class=\"chart\" id=\"{E(Id)}\" viewBox=\"0 0 {Width} {Height}\" width=\"100%\" preserveAspectRatio=\"xMidYMid meet\" role=\"img\" aria-label=\"{E(Title)}\">\n");
        sb.Append(inv, $"<title>{E(Title)}</title>\n");
        sb.Append(inv, $"<rect x=\"0\" y=\"0\" width=\"{Width}\" height=\"{Height}\" fill=\"#ffffff\"/>\n");
        sb.Append(inv, $"<text class=\"chart-title\" x=\"{Left}\" y=\"22\" font-size=\"15\" font-weight=\"bold\">{E(Title)}</text>\n");

        var points = Series.SelectMany(s => s.Points).Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y) && (!LogX || p.X > 0)).ToArray();
        if (points.Length == 0)
        {
            sb.Append(inv, $"<text x=\"{Left + (plotW / 2)}\" y=\"{Top + (plotH / 2)}\" text-anchor=\"middle\" fill=\"#666\">no data</text>\n");
            AxisLines(sb, plotW, plotH);
            sb.Append("</svg>\n");
            return sb.ToString();
        }

        double xMin = points.Min(p => X(p.X)), xMax = points.Max(p => X(p.X));
        if (!LogX)
        {
            xMin = Math.Min(0, xMin); // linear axes (time) start at 0
        }

        if (xMax - xMin < 1e-12)
        {
            xMin -= 1;
            xMax += 1;
        }

        double yMax = NiceCeiling(Math.Max(points.Max(p => p.Y), 1e-9));
        double PxX(double x) => Left + ((X(x) - xMin) / (xMax - xMin) * plotW);
        double PxY(double y) => Top + plotH - (Math.Max(0, y) / yMax * plotH);

        // grid and y ticks
        sb.Append("<g class=\"y-axis\" font-size=\"11\" fill=\"#333\">\n");
        double step = yMax / 5;
        for (int i = 0; i <= 5; i++)
        {
            double v = step * i;
            double y = PxY(v);
            sb.Append(inv, $"<line x1=\"{Left}\" y1=\"{y:0.#}\" x2=\"{Left + plotW}\" y2=\"{y:0.#}\" stroke=\"#e4e4e4\"/>");
            sb.Append(inv, $"<text x=\"{Left - 6}\" y=\"{y + 4:0.#}\" text-anchor=\"end\">{E(Fmt.Compact(v))}</text>\n");
        }

        sb.Append("</g>\n<g class=\"x-axis\" font-size=\"11\" fill=\"#333\">\n");
        foreach (double v in XTicks(points, xMin, xMax))
        {
            double x = PxX(v);
            sb.Append(inv, $"<line x1=\"{x:0.#}\" y1=\"{Top + plotH}\" x2=\"{x:0.#}\" y2=\"{Top + plotH + 5}\" stroke=\"#333\"/>");
            sb.Append(inv, $"<text x=\"{x:0.#}\" y=\"{Top + plotH + 18}\" text-anchor=\"middle\">{E(Fmt.Compact(v))}</text>\n");
        }

        sb.Append("</g>\n");
        AxisLines(sb, plotW, plotH);

        // series
        for (int s = 0; s < Series.Count; s++)
        {
            var series = Series[s];
            string color = Palette[s % Palette.Length];
            var pts = series.Points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y) && (!LogX || p.X > 0)).OrderBy(p => p.X).ToArray();
            sb.Append(inv, $"<g class=\"series\" data-series=\"{E(series.Name)}\">\n");
            if (pts.Length > 1)
            {
                sb.Append(inv, $"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"");
                sb.AppendJoin(' ', pts.Select(p => string.Create(inv, $"{PxX(p.X):0.#},{PxY(p.Y):0.#}")));
                sb.Append("\"/>\n");
            }

            foreach (var p in pts)
            {
                string flag = p.Flag is null ? string.Empty : " " + p.Flag;
                sb.Append(inv, $"<circle cx=\"{PxX(p.X):0.#}\" cy=\"{PxY(p.Y):0.#}\" r=\"3\" fill=\"{color}\"><title>{E(series.Name)}: {E(Fmt.Compact(p.X))} → {E(Fmt.Compact(p.Y))}{E(flag)}</title></circle>\n");
                if (p.Flag is not null)
                {
                    sb.Append(inv, $"<circle class=\"flagged\" cx=\"{PxX(p.X):0.#}\" cy=\"{PxY(p.Y):0.#}\" r=\"8\" fill=\"none\" stroke=\"#c00\" stroke-width=\"2.5\"><title>{E(series.Name)}:{E(flag)}</title></circle>");
                    sb.Append(inv, $"<text x=\"{PxX(p.X):0.#}\" y=\"{PxY(p.Y) - 12:0.#}\" text-anchor=\"middle\" font-size=\"13\" fill=\"#c00\">{ResultNotes.Warn}</text>\n");
                }
            }

            sb.Append("</g>\n");
        }

        // legend
        sb.Append("<g class=\"legend\" font-size=\"12\">\n");
        for (int s = 0; s < Series.Count; s++)
        {
            int y = Top + 8 + (s * 20);
            int x = Left + plotW + 16;
            sb.Append(inv, $"<rect x=\"{x}\" y=\"{y - 9}\" width=\"14\" height=\"10\" fill=\"{Palette[s % Palette.Length]}\"/>");
            sb.Append(inv, $"<text x=\"{x + 20}\" y=\"{y}\">{E(Series[s].Name)}</text>\n");
        }

        if (Series.Any(x => x.Points.Any(p => p.Flag is not null)))
        {
            int y = Top + 8 + (Series.Count * 20) + 6;
            int x = Left + plotW + 16;
            sb.Append(inv, $"<circle cx=\"{x + 7}\" cy=\"{y - 4}\" r=\"6\" fill=\"none\" stroke=\"#c00\" stroke-width=\"2\"/>");
            sb.Append(inv, $"<text x=\"{x + 20}\" y=\"{y}\" fill=\"#c00\">failures or</text><text x=\"{x + 20}\" y=\"{y + 14}\" fill=\"#c00\">starved conns:</text><text x=\"{x + 20}\" y=\"{y + 28}\" fill=\"#c00\">not comparable</text>\n");
        }

        sb.Append("</g>\n</svg>\n");
        return sb.ToString();
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private static double NiceCeiling(double value)
    {
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(value)));
        foreach (double m in NiceSteps)
        {
            if (m * magnitude >= value)
            {
                return m * magnitude;
            }
        }

        return 10 * magnitude;
    }

    private double X(double x) => LogX ? Math.Log10(x) : x;

    private IEnumerable<double> XTicks(ChartPoint[] points, double xMin, double xMax)
    {
        if (LogX)
        {
            return points.Select(p => p.X).Distinct().OrderBy(x => x).ToArray();
        }

        double span = xMax - xMin;
        double raw = span / 6;
        double mag = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double step = TickSteps.Select(m => m * mag).First(s => s >= raw);
        var ticks = new List<double>();
        for (double v = Math.Ceiling(xMin / step) * step; v <= xMax + (step * 1e-9); v += step)
        {
            ticks.Add(v);
        }

        return ticks;
    }

    private void AxisLines(StringBuilder sb, int plotW, int plotH)
    {
        var inv = CultureInfo.InvariantCulture;
        sb.Append(inv, $"<line class=\"axis\" x1=\"{Left}\" y1=\"{Top}\" x2=\"{Left}\" y2=\"{Top + plotH}\" stroke=\"#333\"/>\n");
        sb.Append(inv, $"<line class=\"axis\" x1=\"{Left}\" y1=\"{Top + plotH}\" x2=\"{Left + plotW}\" y2=\"{Top + plotH}\" stroke=\"#333\"/>\n");
        sb.Append(inv, $"<text class=\"axis-label\" x=\"{Left + (plotW / 2)}\" y=\"{Height - 10}\" text-anchor=\"middle\" font-size=\"12\">{E(XLabel + (LogX ? " (log scale)" : string.Empty))}</text>\n");
        sb.Append(inv, $"<text class=\"axis-label\" x=\"16\" y=\"{Top + (plotH / 2)}\" text-anchor=\"middle\" font-size=\"12\" transform=\"rotate(-90 16 {Top + (plotH / 2)})\">{E(YLabel)}</text>\n");
    }
}
