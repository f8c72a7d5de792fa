namespace PipeChat.Tests.Support;

/// <summary>
/// A test that needs an external program. Without it the test is skipped with a reason that says
/// how to install it, so `dotnet test` passes on a fresh machine; where CI=true the test always
/// runs, so CI (which installs the program) cannot skip it silently.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ToolFactAttribute : FactAttribute
{
    public ToolFactAttribute(string path, string package)
    {
        Path = path;
        if (!File.Exists(path) && !string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Skip = $"{path} is missing: install the Debian package '{package}' (apt-get install -y {package}) to run this test; CI runs it";
        }
    }

    public string Path { get; }
}
