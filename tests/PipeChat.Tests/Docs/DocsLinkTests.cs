using System.Text.RegularExpressions;

namespace PipeChat.Tests.Docs;

/// <summary>
/// A clone must stand alone: README.md and docs/*.md point at nothing outside the repository, and
/// every relative link names a file (and, into Markdown, a heading) that exists.
/// </summary>
public partial class DocsLinkTests
{
    public static TheoryData<string> Documents()
    {
        var root = RepositoryRoot();
        var data = new TheoryData<string> { "README.md" };
        foreach (var file in Directory.GetFiles(Path.Combine(root, "docs"), "*.md").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetRelativePath(root, file).Replace('\\', '/'));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Documents))]
    public void Document_does_not_point_outside_the_repository(string document)
    {
        var text = File.ReadAllText(Path.Combine(RepositoryRoot(), document));
        var lines = text.Split('\n');
        var offending = Enumerable.Range(0, lines.Length)
            .Where(i => lines[i].Contains("../shared", StringComparison.Ordinal))
            .Select(i => $"{document}:{i + 1}: {lines[i].Trim()}")
            .ToList();
        Assert.True(offending.Count == 0, string.Join('\n', offending));
    }

    [Theory]
    [MemberData(nameof(Documents))]
    public void Every_relative_link_resolves_inside_the_repository(string document)
    {
        var root = RepositoryRoot();
        var path = Path.Combine(root, document);
        var text = File.ReadAllText(path);
        Assert.True(FenceLine().Count(text) % 2 == 0, $"{document}: a code fence is not closed, which would hide the links after it");
        var broken = new List<string>();
        foreach (var link in RelativeLinks(text))
        {
            var problem = Check(root, path, link);
            if (problem is not null)
            {
                broken.Add($"{document}: ({link}): {problem}");
            }
        }

        Assert.True(broken.Count == 0, string.Join('\n', broken));
    }

    [Fact]
    public void The_checker_finds_broken_and_outside_links()
    {
        var root = RepositoryRoot();
        var readme = Path.Combine(root, "README.md");
        string[] links = [.. RelativeLinks("""
            [a](docs/missing.md) and [b](../outside/file.md) and ![c](docs/architecture.md#no-such-heading)
            [ok](https://example.org/x) [top](#anything) `[code](not/a/link.md)`
            ```
            [fenced](also/not/a/link.md)
            ```
            [ref]: docs/absent.md
            """)];

        Assert.Equal(["docs/missing.md", "../outside/file.md", "docs/architecture.md#no-such-heading", "docs/absent.md"], links);
        Assert.All(links, link => Assert.NotNull(Check(root, readme, link)));
        Assert.Null(Check(root, readme, "docs/architecture.md#connection-models"));
    }

    /// <summary>The targets of inline and reference links that are neither absolute URLs nor in-page anchors; code is skipped.</summary>
    internal static IEnumerable<string> RelativeLinks(string markdown)
    {
        var prose = InlineCode().Replace(FencedCode().Replace(markdown, ""), "");
        var targets = InlineLink().Matches(prose).Select(m => m.Groups["target"].Value)
            .Concat(ReferenceLink().Matches(prose).Select(m => m.Groups["target"].Value));
        foreach (var raw in targets)
        {
            var target = raw.Trim('<', '>');
            if (target.Length == 0 || target.StartsWith('#') || UrlScheme().IsMatch(target))
            {
                continue;
            }

            yield return target;
        }
    }

    /// <summary>Null when the link resolves to a file or folder inside the repository (and to a heading, if it names one).</summary>
    internal static string? Check(string root, string document, string link)
    {
        var hash = link.IndexOf('#', StringComparison.Ordinal);
        var file = Uri.UnescapeDataString(hash < 0 ? link : link[..hash]);
        var anchor = hash < 0 ? null : link[(hash + 1)..];
        var full = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(document)!, file));
        var rootWithSeparator = Path.GetFullPath(root).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        if (!full.StartsWith(rootWithSeparator, StringComparison.Ordinal))
        {
            return "points outside the repository";
        }

        if (!File.Exists(full) && !Directory.Exists(full))
        {
            return "no such file";
        }

        if (anchor is not null && full.EndsWith(".md", StringComparison.Ordinal) && !HeadingAnchors(File.ReadAllText(full)).Contains(anchor))
        {
            return $"no heading #{anchor}";
        }

        return null;
    }

    /// <summary>GitHub's anchors for a document's headings: lower case, punctuation dropped, spaces as '-', repeats numbered.</summary>
    internal static HashSet<string> HeadingAnchors(string markdown)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match heading in Heading().Matches(FencedCode().Replace(markdown, "")))
        {
            var text = heading.Groups["text"].Value.Trim().ToLowerInvariant();
            var slug = new string([.. text.Where(c => char.IsLetterOrDigit(c) || c is ' ' or '-' or '_')]).Replace(' ', '-');
            var unique = slug;
            for (var n = 1; !anchors.Add(unique); n++)
            {
                unique = $"{slug}-{n}";
            }
        }

        return anchors;
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "PipeChat.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("PipeChat.sln not found above the test folder");
    }

    [GeneratedRegex(@"^ {0,3}(```|~~~).*?^ {0,3}\1[^\n]*$", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex FencedCode();

    [GeneratedRegex(@"^ {0,3}(```|~~~)", RegexOptions.Multiline)]
    private static partial Regex FenceLine();

    [GeneratedRegex(@"`+[^`\n]*`+")]
    private static partial Regex InlineCode();

    [GeneratedRegex(@"\]\((?<target><[^>]*>|[^)\s]*)(?:\s+""[^""]*"")?\)")]
    private static partial Regex InlineLink();

    [GeneratedRegex(@"^ {0,3}\[[^\]]+\]:\s*(?<target>\S+)", RegexOptions.Multiline)]
    private static partial Regex ReferenceLink();

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9+.-]*:")]
    private static partial Regex UrlScheme();

    [GeneratedRegex(@"^ {0,3}#{1,6}[ \t]+(?<text>[^\n]*?)[ \t#]*$", RegexOptions.Multiline)]
    private static partial Regex Heading();
}
