using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.FileProviders;

namespace PipeChat.Hosting;

/// <summary>
/// The <c>PipeChat</c> section of a configuration, with the place each value came from, so that a
/// bad value is reported where the user wrote it: <c>--port</c>, <c>PIPECHAT_PORT</c>, or
/// <c>PipeChat:Port in /etc/pipechat.json</c>.
/// </summary>
internal sealed class SettingsSection(IConfiguration configuration)
{
    private readonly IConfigurationSection _section = configuration.GetSection(OptionsResolver.Section);

    /// <summary>The value of <paramref name="key"/>, or null.</summary>
    public string? this[string key] => _section[key];

    /// <summary>The keys present in the section.</summary>
    public IEnumerable<string> Keys => _section.GetChildren().Select(c => c.Key);

    /// <summary>Where the value of <paramref name="key"/> was set, as the user would recognise it.</summary>
    public string Origin(string key, string option)
    {
        if (configuration is not IConfigurationRoot root)
        {
            return option;
        }

        var path = OptionsResolver.Section + ":" + key;
        foreach (var provider in root.Providers.Reverse())
        {
            if (!provider.TryGet(path, out _))
            {
                continue;
            }

            return provider switch
            {
                JsonConfigurationProvider json => $"{path} in {FileOf(json.Source)}",
                _ when provider.GetType().DeclaringType == typeof(EnvironmentOptionsSource) => EnvironmentOptionsSource.VariableFor(path) ?? option,
                _ => option,
            };
        }

        return option;
    }

    /// <summary>Whether the value of <paramref name="key"/> came from the command line (or code), not a file or a variable.</summary>
    public bool FromCommandLine(string key, string option) => Origin(key, option) == option;

    internal static string FileOf(FileConfigurationSource source) =>
        source.FileProvider is PhysicalFileProvider physical && source.Path is { } relative
            ? Path.Combine(physical.Root, relative)
            : source.Path ?? "settings file";
}
