using System.Globalization;
using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using PipeChat.Models;

namespace PipeChat.Hosting;

/// <summary>
/// Turns configuration (appsettings.json &lt; PIPECHAT_* environment &lt; command line, all under
/// the "PipeChat" section) into <see cref="PipeChatOptions"/>. Every value, wherever it came
/// from, passes the same checks and fails with a message naming the option.
/// </summary>
public static class OptionsResolver
{
    /// <summary>Configuration section holding the settings.</summary>
    public const string Section = "PipeChat";

    /// <summary>The server options as (command-line name, configuration key).</summary>
    public static readonly IReadOnlyList<(string Option, string Key)> Keys =
    [
        ("--host", "Host"),
        ("--port", "Port"),
        ("--model", "Model"),
        ("--udp", "Udp"),
        ("--max-connections", "MaxConnections"),
        ("--max-line", "MaxLine"),
        ("--idle-timeout", "IdleTimeout"),
        ("--shutdown-timeout", "ShutdownTimeout"),
        ("--log-level", "LogLevel"),
        ("--max-pending-output", "MaxPendingOutput"),
        ("--wake-coalescing-ms", "WakeCoalescingMs"),
        ("--io", "Io"),
        ("--metrics-port", "MetricsPort"),
        ("--metrics-host", "MetricsHost"),
        ("--log-format", "LogFormat"),
        ("--max-line-rate", "MaxLineRate"),
    ];

    public static PipeChatOptions Resolve(ProtocolKind protocol, IConfiguration configuration)
    {
        var section = configuration.GetSection(Section);
        var udp = Bool(section, "--udp", "Udp") ?? false;
        var model = Model(section) ?? ConnectionModel.Async;
        if (protocol == ProtocolKind.Chat && model == ConnectionModel.Iterative)
        {
            throw new UsageException("--model iterative is not available for chat (use async or threads): one member at a time cannot chat");
        }

        var idleDefault = protocol == ProtocolKind.Chat && udp ? 600 : 0;
        return new PipeChatOptions
        {
            Protocol = protocol,
            Model = model,
            Udp = udp,
            Host = Host(section) ?? IPAddress.Loopback,
            Port = Int(section, "--port", "Port", 0, 65535) ?? PipeChatOptions.DefaultPort(protocol),
            MaxConnections = Int(section, "--max-connections", "MaxConnections", 1, 1_000_000) ?? 10_000,
            MaxLine = Int(section, "--max-line", "MaxLine", 1, 16 * 1024 * 1024) ?? 4096,
            IdleTimeout = TimeSpan.FromSeconds(Double(section, "--idle-timeout", "IdleTimeout") ?? idleDefault),
            ShutdownTimeout = TimeSpan.FromSeconds(Double(section, "--shutdown-timeout", "ShutdownTimeout") ?? 5),
            LogLevel = Level(section) ?? LogLevel.Information,
            MaxPendingOutput = Int(section, "--max-pending-output", "MaxPendingOutput", 1024, int.MaxValue) ?? 1024 * 1024,
            WakeCoalescing = Coalescing(section),
            Io = Io(section),
            MetricsPort = Int(section, "--metrics-port", "MetricsPort", 0, 65535),
            MetricsHost = Address(section, "--metrics-host", "MetricsHost"),
            LogFormat = Format(section),
            MaxLineRate = Int(section, "--max-line-rate", "MaxLineRate", 0, 1_000_000) ?? 100,
        };
    }

    /// <summary>PIPECHAT_MAX_CONNECTIONS → PipeChat:MaxConnections (SPEC §2 names).</summary>
    public static string? KeyForEnvironmentVariable(string name)
    {
        const string prefix = "PIPECHAT_";
        if (!name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var option = "--" + name[prefix.Length..].Replace('_', '-').ToLowerInvariant();
        foreach (var (opt, key) in Keys)
        {
            if (opt == option)
            {
                return Section + ":" + key;
            }
        }

        return null;
    }

    private static string? Raw(IConfigurationSection section, string key)
    {
        var value = section[key];
        return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
    }

    private static int? Int(IConfigurationSection section, string option, string key, int min, int max)
    {
        var raw = Raw(section, key);
        if (raw is null)
        {
            return null;
        }

        if (!int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw new UsageException($"invalid value '{raw}' for {option}: expected an integer from {min} to {max}");
        }

        return value;
    }

    private static double? Double(IConfigurationSection section, string option, string key)
    {
        var raw = Raw(section, key);
        if (raw is null)
        {
            return null;
        }

        if (!double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value < 0 || value > 31_536_000 || double.IsNaN(value))
        {
            throw new UsageException($"invalid value '{raw}' for {option}: expected seconds, 0 or more");
        }

        return value;
    }

    private static bool? Bool(IConfigurationSection section, string option, string key)
    {
        var raw = Raw(section, key);
        if (raw is null)
        {
            return null;
        }

        return bool.TryParse(raw, out var value)
            ? value
            : throw new UsageException($"invalid value '{raw}' for {option}: expected true or false");
    }

    private static ConnectionModel? Model(IConfigurationSection section)
    {
        var raw = Raw(section, "Model");
        return raw?.ToLowerInvariant() switch
        {
            null => null,
            "async" => ConnectionModel.Async,
            "threads" => ConnectionModel.Threads,
            "iterative" => ConnectionModel.Iterative,
            _ => throw new UsageException($"invalid value '{raw}' for --model: expected async, threads or iterative"),
        };
    }

    private static Transport.SocketIoKind Io(IConfigurationSection section)
    {
        var raw = Raw(section, "Io");
        return raw?.ToLowerInvariant() switch
        {
            null or "auto" => Transport.SocketIoKind.Auto,
            "epoll" when OperatingSystem.IsLinux() => Transport.SocketIoKind.Epoll,
            "epoll" => throw new UsageException("--io epoll needs Linux (use auto or saea)"),
            "saea" => Transport.SocketIoKind.Saea,
            _ => throw new UsageException($"invalid value '{raw}' for --io: expected auto, epoll or saea"),
        };
    }

    private static Protocols.Chat.WakeCoalescing Coalescing(IConfigurationSection section)
    {
        var raw = Raw(section, "WakeCoalescingMs");
        if (raw is null || raw.Equals("auto", StringComparison.OrdinalIgnoreCase))
        {
            return Protocols.Chat.WakeCoalescing.Auto;
        }

        if (!int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms) || ms < 0 || ms > 1000)
        {
            throw new UsageException($"invalid value '{raw}' for --wake-coalescing-ms: expected auto or an integer from 0 to 1000");
        }

        return Protocols.Chat.WakeCoalescing.Fixed(TimeSpan.FromMilliseconds(ms));
    }

    private static string Format(IConfigurationSection section)
    {
        var raw = Raw(section, "LogFormat");
        return raw?.ToLowerInvariant() switch
        {
            null or "text" => "text",
            "json" => "json",
            _ => throw new UsageException($"invalid value '{raw}' for --log-format: expected text or json"),
        };
    }

    private static IPAddress? Host(IConfigurationSection section) => Address(section, "--host", "Host");

    private static IPAddress? Address(IConfigurationSection section, string option, string key)
    {
        var raw = Raw(section, key);
        if (raw is null)
        {
            return null;
        }

        if (string.Equals(raw, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return IPAddress.Loopback;
        }

        return IPAddress.TryParse(raw.Trim('[', ']'), out var address)
            ? address
            : throw new UsageException($"invalid value '{raw}' for {option}: expected an IP address such as 127.0.0.1, ::1, 0.0.0.0 or ::");
    }

    private static LogLevel? Level(IConfigurationSection section)
    {
        var raw = Raw(section, "LogLevel");
        return raw?.ToLowerInvariant() switch
        {
            null => null,
            "trace" => LogLevel.Trace,
            "debug" => LogLevel.Debug,
            "information" or "info" => LogLevel.Information,
            "warning" or "warn" => LogLevel.Warning,
            "error" => LogLevel.Error,
            _ => throw new UsageException($"invalid value '{raw}' for --log-level: expected trace, debug, information, warning or error"),
        };
    }
}
