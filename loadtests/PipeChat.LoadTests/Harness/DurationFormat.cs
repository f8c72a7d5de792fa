using System.Globalization;

namespace PipeChat.LoadTests.Harness;

/// <summary>Parses and prints short durations: <c>500ms</c>, <c>10s</c>, <c>1.5s</c>, <c>2m</c>, <c>1h</c>, <c>250us</c>.</summary>
public static class DurationFormat
{
    /// <summary>Parses a duration; a bare number means seconds.</summary>
    /// <exception cref="FormatException">The text is not a duration.</exception>
    public static TimeSpan Parse(string text)
    {
        if (!TryParse(text, out var value))
        {
            throw new FormatException($"'{text}' is not a duration (examples: 500ms, 10s, 1.5s, 2m)");
        }

        return value;
    }

    /// <summary>Tries to parse a duration; a bare number means seconds.</summary>
    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var s = text.Trim().ToLowerInvariant();
        int split = 0;
        while (split < s.Length && (char.IsAsciiDigit(s[split]) || s[split] == '.'))
        {
            split++;
        }

        if (split == 0 || !double.TryParse(s.AsSpan(0, split), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
        {
            return false;
        }

        double? microseconds = s[split..].Trim() switch
        {
            "" or "s" or "sec" or "secs" => number * 1e6,
            "ms" => number * 1e3,
            "us" or "µs" => number,
            "m" or "min" => number * 60e6,
            "h" => number * 3600e6,
            _ => null,
        };
        if (microseconds is null || microseconds > TimeSpan.MaxValue.TotalMicroseconds)
        {
            return false;
        }

        value = TimeSpan.FromMicroseconds(microseconds.Value);
        return true;
    }

    /// <summary>Prints a duration in the shortest exact unit (<c>2m</c>, <c>10s</c>, <c>1.5s</c>, <c>500ms</c>).</summary>
    public static string Format(TimeSpan value)
    {
        var inv = CultureInfo.InvariantCulture;
        if (value == TimeSpan.Zero)
        {
            return "0s";
        }

        if (value.Ticks % TimeSpan.TicksPerMinute == 0)
        {
            return ((long)value.TotalMinutes).ToString(inv) + "m";
        }

        if (value.Ticks % TimeSpan.TicksPerMillisecond == 0 && value.TotalSeconds >= 1)
        {
            return value.TotalSeconds.ToString("0.###", inv) + "s";
        }

        if (value.Ticks % TimeSpan.TicksPerMillisecond == 0)
        {
            return ((long)value.TotalMilliseconds).ToString(inv) + "ms";
        }

        return value.TotalMicroseconds.ToString("0.#", inv) + "us";
    }
}
