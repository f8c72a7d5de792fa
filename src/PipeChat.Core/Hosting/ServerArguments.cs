namespace PipeChat.Hosting;

/// <summary>
/// The command line of a library-built server: the server options of docs/options.md that apply to
/// the protocol, as <c>--name value</c>, <c>--name=value</c> or a bare flag, into configuration keys.
/// </summary>
internal static class ServerArguments
{
    /// <exception cref="UsageException">An unknown option, or an option without its value.</exception>
    public static Dictionary<string, string?> Parse(IReadOnlyList<string> args, ProtocolKind protocol)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            var equals = arg.IndexOf('=', StringComparison.Ordinal);
            var name = equals > 0 ? arg[..equals] : arg;
            var option = ServerOptions.All.FirstOrDefault(o => o.AppliesTo(protocol) && string.Equals(o.Name, name, StringComparison.Ordinal))
                ?? throw new UsageException($"unrecognized argument '{arg}' (see --help)");
            string? value;
            if (equals > 0)
            {
                value = arg[(equals + 1)..];
            }
            else if (option.IsFlag)
            {
                value = "true";
            }
            else if (i + 1 < args.Count)
            {
                value = args[++i];
            }
            else
            {
                throw new UsageException($"{name} needs a value");
            }

            values[OptionsResolver.Section + ":" + option.Key] = value;
        }

        return values;
    }

    public static string Help(ProtocolKind protocol)
    {
        var lines = ServerOptions.All.Where(o => o.AppliesTo(protocol))
            .Select(o => $"  {o.Name + (o.IsFlag ? string.Empty : " VALUE"),-28} {o.DescriptionFor(protocol)} [{o.EnvironmentVariable}]");
        return $"{protocol.Name}: {protocol.Description}{Environment.NewLine}Options:{Environment.NewLine}{string.Join(Environment.NewLine, lines)}";
    }
}
