namespace PipeChat.LoadTests.Reports;

/// <summary>Writes the Markdown, CSV and HTML files of a report into a folder.</summary>
public static class ReportWriter
{
    /// <summary>Writes <c>run-SCENARIO.md/.csv/.html</c>; returns the paths.</summary>
    public static IReadOnlyList<string> WriteRun(RunReport report, string directory)
    {
        ArgumentNullException.ThrowIfNull(report);
        return Write(directory, "run-" + report.Stats.Name, MarkdownReport.Run(report), CsvReport.Run(report), HtmlReport.Run(report));
    }

    /// <summary>Writes <c>compare-SCENARIO.md/.csv/.html</c>; returns the paths.</summary>
    public static IReadOnlyList<string> WriteCompare(CompareReport report, string directory)
    {
        ArgumentNullException.ThrowIfNull(report);
        return Write(directory, "compare-" + report.Scenario, MarkdownReport.Compare(report), CsvReport.Compare(report), HtmlReport.Compare(report));
    }

    private static string[] Write(string directory, string stem, string markdown, string csv, string html)
    {
        Directory.CreateDirectory(directory);
        string md = Path.Combine(directory, stem + ".md");
        string cs = Path.Combine(directory, stem + ".csv");
        string ht = Path.Combine(directory, stem + ".html");
        File.WriteAllText(md, markdown);
        File.WriteAllText(cs, csv);
        File.WriteAllText(ht, html);
        return [md, cs, ht];
    }
}
