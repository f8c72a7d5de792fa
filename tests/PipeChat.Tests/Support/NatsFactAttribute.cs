namespace PipeChat.Tests.Support;

/// <summary>
/// A test that needs nats-server (<see cref="NatsServer"/>): skipped with a reason saying how to install it,
/// unless CI=true, where it always runs (CI installs the Debian package).
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class NatsFactAttribute : FactAttribute
{
    public NatsFactAttribute()
    {
        if (!File.Exists(NatsServer.Path) && !File.Exists("/usr/bin/nats-server")
            && !string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Skip = $"{NatsServer.Path} is missing: install the Debian package 'nats-server' (apt-get install -y nats-server) to run this test; CI runs it";
        }
    }
}
