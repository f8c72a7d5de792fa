namespace PipeChat.Tests.Support;

/// <summary>A theory that needs an external program: skipped (with how to install it) where it is missing, except under CI=true (see <see cref="ToolFactAttribute"/>).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ToolTheoryAttribute : TheoryAttribute
{
    public ToolTheoryAttribute(string path, string package)
    {
        if (!File.Exists(path) && !string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Skip = $"{path} is missing: install the Debian package '{package}' (apt-get install -y {package}) to run this test; CI runs it";
        }
    }
}
