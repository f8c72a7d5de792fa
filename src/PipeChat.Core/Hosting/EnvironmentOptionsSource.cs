using Microsoft.Extensions.Configuration;

namespace PipeChat.Hosting;

/// <summary>
/// The PIPECHAT_* environment variables of <see cref="ServerOptions"/> as configuration keys
/// (PIPECHAT_MAX_CONNECTIONS → PipeChat:MaxConnections). A source of its own, so that a bad value
/// can be traced back to the variable that set it.
/// </summary>
internal sealed class EnvironmentOptionsSource : IConfigurationSource
{
    public IConfigurationProvider Build(IConfigurationBuilder builder) => new Provider();

    /// <summary>The variable behind a configuration key, or null.</summary>
    public static string? VariableFor(string key) =>
        ServerOptions.ByKey(key[(key.IndexOf(':', StringComparison.Ordinal) + 1)..])?.EnvironmentVariable;

    private sealed class Provider : ConfigurationProvider
    {
        public override void Load()
        {
            foreach (System.Collections.DictionaryEntry entry in Environment.GetEnvironmentVariables())
            {
                if (entry.Key is string name && ServerOptions.ByEnvironmentVariable(name) is { } option)
                {
                    Data[OptionsResolver.Section + ":" + option.Key] = entry.Value as string;
                }
            }
        }
    }
}
