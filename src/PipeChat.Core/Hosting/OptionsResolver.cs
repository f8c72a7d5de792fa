using System.Globalization;
using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using PipeChat.Servers;

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

    /// <summary>Resolves the options of <paramref name="protocol"/> from <paramref name="configuration"/> (the <c>PipeChat</c> section); throws <see cref="UsageException"/> naming the setting and its source on a bad value.</summary>
    public static PipeChatOptions Resolve(ProtocolKind protocol, IConfiguration configuration) => Resolve(protocol, configuration, warnings: null);

    /// <summary>
    /// Resolves and checks the settings. An option given on the command line where it does not
    /// apply is a usage error; set in a file or a variable (which may serve several commands) it
    /// is ignored with a warning, and so is an unknown key in the section.
    /// </summary>
    public static PipeChatOptions Resolve(ProtocolKind protocol, IConfiguration configuration, ICollection<string>? warnings) =>
        Resolve(protocol, configuration, warnings, ModelRegistry.Default);

    /// <summary>As above, with --model looked up in <paramref name="models"/>.</summary>
    public static PipeChatOptions Resolve(ProtocolKind protocol, IConfiguration configuration, ICollection<string>? warnings, ModelRegistry models)
    {
        ArgumentNullException.ThrowIfNull(protocol);
        ArgumentNullException.ThrowIfNull(models);
        var options = ResolveValues(protocol, configuration, models);
        var section = new SettingsSection(configuration);
        foreach (var key in section.Keys)
        {
            if (ServerOptions.ByKey(key) is not { } option)
            {
                warnings?.Add($"unknown setting {section.Origin(key, Section + ":" + key)} is ignored");
                continue;
            }

            var reason = option.AppliesTo(protocol) ? option.NotApplicable?.Invoke(options)
                : option.Protocols is { } names ? $"applies to {string.Join(" and ", names)} only"
                : $"does not apply: {protocol.Name} has no UDP form";
            if (reason is null || Raw(section, key) is null)
            {
                continue;
            }

            if (section.FromCommandLine(key, option.Name))
            {
                throw new UsageException($"{option.Name} {reason}");
            }

            warnings?.Add($"{section.Origin(key, option.Name)} {reason}: ignored");
        }

        return options;
    }

    private static PipeChatOptions ResolveValues(ProtocolKind protocol, IConfiguration configuration, ModelRegistry models)
    {
        var section = new SettingsSection(configuration);
        // A protocol without a UDP form ignores a UDP setting (Resolve warns about it).
        var udp = (Bool(section, "--udp", "Udp") ?? false) && protocol.CreateDatagram is not null;
        var model = Model(section, models) ?? ModelRegistry.Async;
        if (!protocol.Allows(model))
        {
            var allowed = ModelRegistry.Choices(models.All.Where(protocol.Allows).Select(m => m.Name));
            throw new UsageException($"--model {model.Name} is not available for {protocol.Name} (use {allowed}): {protocol.ExclusionReason}");
        }

        var idleDefault = udp ? protocol.UdpIdleTimeoutSeconds : 0;
        var (tlsCertificate, tlsKey) = Tls(section);
        return new PipeChatOptions
        {
            Protocol = protocol,
            Model = model,
            Udp = udp,
            Host = Host(section) ?? IPAddress.Loopback,
            Port = Int(section, "--port", "Port", 0, 65535) ?? PipeChatOptions.DefaultPort(protocol),
            MaxConnections = Int(section, "--max-connections", "MaxConnections", 1, 1_000_000) ?? 10_000,
            MaxLine = Int(section, "--max-line", "MaxLine", 1, Protocols.Chat.ChatLimits.MaxLineLimit) ?? 4096,
            IdleTimeout = TimeSpan.FromSeconds(Double(section, "--idle-timeout", "IdleTimeout") ?? idleDefault),
            ShutdownTimeout = TimeSpan.FromSeconds(Double(section, "--shutdown-timeout", "ShutdownTimeout") ?? 5),
            LogLevel = Level(section) ?? LogLevel.Information,
            MaxPendingOutput = Int(section, "--max-pending-output", "MaxPendingOutput", 1024, int.MaxValue) ?? 1024 * 1024,
            WakeCoalescing = Coalescing(section),
            Io = Io(section),
            IoThreads = IoThreads(section),
            MetricsPort = Int(section, "--metrics-port", "MetricsPort", 0, 65535),
            MetricsHost = Address(section, "--metrics-host", "MetricsHost"),
            LogFormat = Format(section),
            MaxConnectionsPerIp = Int(section, "--max-connections-per-ip", "MaxConnectionsPerIp", 0, 1_000_000) ?? 0,
            Keepalive = TimeSpan.FromSeconds(Int(section, "--keepalive", "Keepalive", 0, MaxKeepalive) ?? 60),
            MaxLineRate = Int(section, "--max-line-rate", "MaxLineRate", 0, 1_000_000) ?? 100,
            LineTimeout = TimeSpan.FromSeconds(Double(section, "--line-timeout", "LineTimeout") ?? 30),
            TlsCertificate = tlsCertificate,
            TlsKey = tlsKey,
            ClusterUrl = ClusterUrl(section),
            ClusterName = ClusterName(section),
            Unix = UnixPath(section),
        };
    }

    private static string? ClusterUrl(SettingsSection section)
    {
        var raw = Raw(section, "Cluster");
        if (raw is null)
        {
            return null;
        }

        return Uri.TryCreate(raw, UriKind.Absolute, out var uri) && uri.Scheme is "nats" or "tls" or "ws" or "wss" && uri.Port > 0
            ? raw
            : throw new UsageException($"invalid value '{raw}' for {section.Origin("Cluster", "--cluster")}: expected a NATS server URL such as nats://127.0.0.1:4222");
    }

    private static string ClusterName(SettingsSection section)
    {
        var raw = Raw(section, "ClusterName");
        if (raw is null)
        {
            return "pipechat";
        }

        return Cluster.ClusterSettings.IsValidName(raw)
            ? raw
            : throw new UsageException($"invalid value '{raw}' for {section.Origin("ClusterName", "--cluster-name")}: expected 1 to 64 letters, digits, '-' or '_'");
    }

    /// <summary>PIPECHAT_MAX_CONNECTIONS → PipeChat:MaxConnections (docs/options.md names).</summary>
    public static string? KeyForEnvironmentVariable(string name) =>
        ServerOptions.ByEnvironmentVariable(name) is { } option ? Section + ":" + option.Key : null;

    /// <summary>--tls-cert and --tls-key: both or neither (the files are read when the server is made: exit 1 naming one).</summary>
    private static (string? Certificate, string? Key) Tls(SettingsSection section)
    {
        var certificate = Raw(section, "TlsCert");
        var key = Raw(section, "TlsKey");
        if ((certificate is null) != (key is null))
        {
            throw new UsageException(certificate is null
                ? $"{section.Origin("TlsKey", "--tls-key")} needs --tls-cert"
                : $"{section.Origin("TlsCert", "--tls-cert")} needs --tls-key");
        }

        return (certificate, key);
    }

    // Linux caps TCP_KEEPIDLE at 32767 seconds.
    private const int MaxKeepalive = 32_767;

    private static string? Raw(SettingsSection section, string key)
    {
        var value = section[key];
        return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
    }

    private static int? Int(SettingsSection section, string option, string key, int min, int max)
    {
        var raw = Raw(section, key);
        if (raw is null)
        {
            return null;
        }

        if (!int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw new UsageException($"invalid value '{raw}' for {section.Origin(key, option)}: expected an integer from {min} to {max}");
        }

        return value;
    }

    private static double? Double(SettingsSection section, string option, string key)
    {
        var raw = Raw(section, key);
        if (raw is null)
        {
            return null;
        }

        if (!double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value < 0 || value > 31_536_000 || double.IsNaN(value))
        {
            throw new UsageException($"invalid value '{raw}' for {section.Origin(key, option)}: expected seconds, 0 or more");
        }

        return value;
    }

    private static bool? Bool(SettingsSection section, string option, string key)
    {
        var raw = Raw(section, key);
        if (raw is null)
        {
            return null;
        }

        return bool.TryParse(raw, out var value)
            ? value
            : throw new UsageException($"invalid value '{raw}' for {section.Origin(key, option)}: expected true or false");
    }

    private static ServerModel? Model(SettingsSection section, ModelRegistry models)
    {
        var raw = Raw(section, "Model");
        return raw is null
            ? null
            : models.Find(raw) ?? throw new UsageException($"invalid value '{raw}' for {section.Origin("Model", "--model")}: expected {ModelRegistry.Choices(models.All.Select(m => m.Name))}");
    }

    private static Transport.SocketIoKind Io(SettingsSection section)
    {
        var raw = Raw(section, "Io");
        return raw?.ToLowerInvariant() switch
        {
            null or "auto" => Transport.SocketIoKind.Auto,
            "epoll" when OperatingSystem.IsLinux() => Transport.SocketIoKind.Epoll,
            "epoll" => throw new UsageException("--io epoll needs Linux (use auto or saea)"),
            "saea" => Transport.SocketIoKind.Saea,
            _ => throw new UsageException($"invalid value '{raw}' for {section.Origin("Io", "--io")}: expected auto, epoll or saea"),
        };
    }

    private static int IoThreads(SettingsSection section) =>
        Raw(section, "IoThreads") is { } raw && raw.Equals("auto", StringComparison.OrdinalIgnoreCase)
            ? 0
            : Int(section, "--io-threads", "IoThreads", 1, Transport.TransportOptions.MaxIoThreads) ?? 0;

    private static Protocols.Chat.WakeCoalescing Coalescing(SettingsSection section)
    {
        var raw = Raw(section, "WakeCoalescingMs");
        if (raw is null || raw.Equals("auto", StringComparison.OrdinalIgnoreCase))
        {
            return Protocols.Chat.WakeCoalescing.Auto;
        }

        if (!double.TryParse(raw, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var ms) || ms < 0 || ms > 1000)
        {
            throw new UsageException($"invalid value '{raw}' for {section.Origin("WakeCoalescingMs", "--wake-coalescing-ms")}: expected auto or a number of milliseconds from 0 to 1000 (e.g. 0.5)");
        }

        return Protocols.Chat.WakeCoalescing.Fixed(TimeSpan.FromMilliseconds(ms));
    }

    private static string Format(SettingsSection section)
    {
        var raw = Raw(section, "LogFormat");
        return raw?.ToLowerInvariant() switch
        {
            null or "text" => "text",
            "json" => "json",
            _ => throw new UsageException($"invalid value '{raw}' for {section.Origin("LogFormat", "--log-format")}: expected text or json"),
        };
    }

    private static string? UnixPath(SettingsSection section)
    {
        var raw = Raw(section, "Unix");
        if (raw is null)
        {
            return null;
        }

        if (raw.Contains('\0', StringComparison.Ordinal) || System.Text.Encoding.UTF8.GetByteCount(raw) > Servers.UnixListener.MaxPathBytes)
        {
            throw new UsageException($"invalid value '{raw}' for {section.Origin("Unix", "--unix")}: expected a file path of at most {Servers.UnixListener.MaxPathBytes} bytes");
        }

        return raw;
    }

    private static IPAddress? Host(SettingsSection section) => Address(section, "--host", "Host");

    private static IPAddress? Address(SettingsSection section, string option, string key)
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
            : throw new UsageException($"invalid value '{raw}' for {section.Origin(key, option)}: expected an IP address such as 127.0.0.1, ::1, 0.0.0.0 or ::");
    }

    private static LogLevel? Level(SettingsSection section)
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
            _ => throw new UsageException($"invalid value '{raw}' for {section.Origin("LogLevel", "--log-level")}: expected trace, debug, information, warning or error"),
        };
    }
}
