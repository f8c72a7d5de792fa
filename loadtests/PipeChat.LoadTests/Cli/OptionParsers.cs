using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Net;
using PipeChat.LoadTests.Harness;
using PipeChat.LoadTests.Sockets;

namespace PipeChat.LoadTests.Cli;

/// <summary>Option factories with parsers that turn bad values into parse errors (exit code 2).</summary>
internal static class OptionParsers
{
    public static Option<TimeSpan> Duration(string name, TimeSpan defaultValue, string description, bool positive = false) => new(name)
    {
        Description = description + $" (e.g. 500ms, 10s, 2m; default {DurationFormat.Format(defaultValue)})",
        DefaultValueFactory = _ => defaultValue,
        CustomParser = r => ParseDuration(r, positive),
    };

    public static Option<TimeSpan?> OptionalDuration(string name, string description, bool positive = false) => new(name)
    {
        Description = description,
        CustomParser = r => ParseDuration(r, positive),
    };

    public static Option<int> Positive(string name, int defaultValue, string description) =>
        Int(name, defaultValue, 1, description + $" (default {defaultValue})");

    public static Option<int> NonNegative(string name, int defaultValue, string description) =>
        Int(name, defaultValue, 0, description);

    public static Option<long> NonNegativeLong(string name, string description) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => 0L,
        CustomParser = r =>
        {
            string text = r.Tokens.Single().Value;
            if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long v))
            {
                r.AddError($"{name}: '{text}' is not a whole number of 0 or more");
            }

            return v;
        },
    };

    public static Option<int> Range(string name, int defaultValue, int min, int max, string description) =>
        Int(name, defaultValue, min, description + $" ({min} to {max}; default {defaultValue})", max);

    private static Option<int> Int(string name, int defaultValue, int min, string description, int max = int.MaxValue) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = r =>
        {
            string text = r.Tokens.Single().Value;
            if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int v) || v < min || v > max)
            {
                r.AddError(max == int.MaxValue
                    ? $"{name}: '{text}' is not a whole number of {min} or more"
                    : $"{name}: '{text}' is not a whole number from {min} to {max}");
            }

            return v;
        },
    };

    public static Option<int[]> IntList(string name, int[] defaultValue, string description) => new(name)
    {
        Description = description + $" (comma separated; default {string.Join(',', defaultValue)})",
        DefaultValueFactory = _ => defaultValue,
        CustomParser = r =>
        {
            var values = new List<int>();
            foreach (var part in r.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
            {
                if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int v) || v < 1)
                {
                    r.AddError($"{name}: '{part}' is not a positive whole number");
                    return [];
                }

                values.Add(v);
            }

            if (values.Count == 0)
            {
                r.AddError($"{name} needs at least one value");
            }

            return values.ToArray();
        },
    };

    public static Option<string[]> NameList(string name, string[] defaultValue, string[] allowed, string description) => new(name)
    {
        Description = description + $" (comma separated from {string.Join(", ", allowed)}; default {string.Join(',', defaultValue)})",
        DefaultValueFactory = _ => defaultValue,
        CustomParser = r =>
        {
            var values = r.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Distinct(StringComparer.Ordinal).ToArray();
            foreach (var v in values.Where(v => !allowed.Contains(v, StringComparer.Ordinal)))
            {
                r.AddError($"{name}: unknown value '{v}' (allowed: {string.Join(", ", allowed)})");
            }

            if (values.Length == 0)
            {
                r.AddError($"{name} needs at least one value");
            }

            return values;
        },
    };

    public static Option<IPEndPoint[]?> Targets() => new("--targets")
    {
        Description = "chat: HOST:PORT,HOST:PORT,... the nodes of a cluster, loopback only: members round robin over them, publishers first on the first",
        CustomParser = r =>
        {
            try
            {
                return [.. r.Tokens.Single().Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(TargetEndpoint.Parse)];
            }
            catch (FormatException ex)
            {
                r.AddError(ex.Message);
                return null;
            }
        },
    };

    public static Option<EndPoint?> Target() => new("--target")
    {
        Description = "HOST:PORT to load, loopback only (default 127.0.0.1:7007, chat 127.0.0.1:7000), or unix:PATH (echo scenario)",
        CustomParser = r =>
        {
            try
            {
                return TargetEndpoint.ParseAny(r.Tokens.Single().Value);
            }
            catch (FormatException ex)
            {
                r.AddError(ex.Message);
                return null;
            }
        },
    };

    public static Option<Threshold[]> Thresholds() => new("--threshold")
    {
        Description = "pass/fail rule, repeatable: 'p99 < 20ms', 'fail rate = 0', 'rps > 1000', 'lost = 0'; a broken one makes the exit code 1",
        Arity = ArgumentArity.ZeroOrMore,
        AllowMultipleArgumentsPerToken = false,
        DefaultValueFactory = _ => [],
        CustomParser = r =>
        {
            var list = new List<Threshold>();
            foreach (var token in r.Tokens)
            {
                if (Threshold.TryParse(token.Value, out var t, out var error))
                {
                    list.Add(t);
                }
                else
                {
                    r.AddError(error!);
                }
            }

            return list.ToArray();
        },
    };

    private static TimeSpan ParseDuration(ArgumentResult r, bool positive)
    {
        string name = (r.Parent as OptionResult)?.Option.Name ?? "duration";
        string text = r.Tokens.Single().Value;
        if (!DurationFormat.TryParse(text, out var value))
        {
            r.AddError($"{name}: '{text}' is not a duration (examples: 500ms, 10s, 2m)");
        }
        else if (positive && value <= TimeSpan.Zero)
        {
            r.AddError($"{name} must be more than 0");
        }

        return value;
    }
}
