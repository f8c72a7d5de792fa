using PipeChat.Hosting;

namespace PipeChat.Tests.ApiApproval;

/// <summary>
/// The public surface of PipeChat.Core is a reviewed decision: it must equal the committed
/// PipeChat.Core.approved.txt. On a change the test writes PipeChat.Core.received.txt beside it and
/// prints the difference; copy the received file over the approved one when the change is meant.
/// </summary>
public sealed class PublicApiTests
{
    [Fact]
    public void The_public_surface_of_PipeChat_Core_is_the_approved_one()
    {
        var folder = Path.Combine(Repository(), "tests", "PipeChat.Tests", "ApiApproval");
        var approvedPath = Path.Combine(folder, "PipeChat.Core.approved.txt");
        var receivedPath = Path.Combine(folder, "PipeChat.Core.received.txt");
        var received = PublicApi.Describe(typeof(PipeChatServer).Assembly);
        var approved = File.Exists(approvedPath) ? File.ReadAllText(approvedPath).ReplaceLineEndings("\n") : string.Empty;
        if (received == approved)
        {
            File.Delete(receivedPath);
            return;
        }

        File.WriteAllText(receivedPath, received);
        var approvedLines = approved.Split('\n').ToHashSet(StringComparer.Ordinal);
        var receivedLines = received.Split('\n').ToHashSet(StringComparer.Ordinal);
        var diff = approvedLines.Except(receivedLines).Select(l => "- " + l)
            .Concat(receivedLines.Except(approvedLines).Select(l => "+ " + l));
        Assert.Fail($"The public API of PipeChat.Core changed (- removed, + added); if meant, copy {receivedPath} over {approvedPath}:\n{string.Join('\n', diff)}");
    }

    // tests/PipeChat.Tests/bin/CONFIGURATION/TFM/ is five levels below the repository.
    private static string Repository() =>
        new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
}
