using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;

namespace PipeChat.Hosting;

/// <summary>
/// Runs a server the .NET way: Generic Host for configuration, logging and graceful shutdown.
/// Returns the process exit code of docs/options.md (0 graceful, 1 runtime failure, 2 usage).
/// </summary>
public static class PipeChatHost
{
    /// <summary>
    /// Configuration, later sources winning: appsettings.json beside the executable, the file named
    /// by --config or PIPECHAT_CONFIG, PIPECHAT_* variables, then the command line.
    /// </summary>
    /// <exception cref="UsageException">The --config file is missing, or a JSON file is malformed (file, line and position named).</exception>
    public static IConfiguration BuildConfiguration(IReadOnlyDictionary<string, string?> commandLine)
    {
        var configKey = OptionsResolver.Section + ":Config";
        var configFile = commandLine.GetValueOrDefault(configKey) ?? Environment.GetEnvironmentVariable("PIPECHAT_CONFIG");
        var builder = new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true, reloadOnChange: false);
        if (!string.IsNullOrWhiteSpace(configFile))
        {
            var full = Path.GetFullPath(configFile);
            if (!File.Exists(full))
            {
                var named = commandLine.ContainsKey(configKey) ? "--config" : "PIPECHAT_CONFIG";
                throw new UsageException($"{named}: cannot read {full}: no such file");
            }

            builder.AddJsonFile(new Microsoft.Extensions.FileProviders.PhysicalFileProvider(Path.GetDirectoryName(full)!), Path.GetFileName(full), optional: false, reloadOnChange: false);
        }

        builder.Add(new EnvironmentOptionsSource());
        builder.AddInMemoryCollection(commandLine);
        try
        {
            return builder.Build();
        }
        catch (InvalidDataException e)
        {
            throw new UsageException(MalformedJson(builder, e));
        }
    }

    private static string MalformedJson(IConfigurationBuilder builder, InvalidDataException e)
    {
        // The JSON provider names no file; find the one that does not parse and say where.
        foreach (var source in builder.Sources.OfType<Microsoft.Extensions.Configuration.Json.JsonConfigurationSource>())
        {
            var path = SettingsSection.FileOf(source);
            if (!File.Exists(path))
            {
                continue;
            }

            try
            {
                using var document = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(path), new System.Text.Json.JsonDocumentOptions { CommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true });
            }
            catch (System.Text.Json.JsonException json)
            {
                return $"{path}:{json.LineNumber + 1}:{json.BytePositionInLine + 1}: malformed JSON: {json.Message.Split(" Path:", 2)[0].Split(" LineNumber:", 2)[0]}";
            }
        }

        return $"settings file: {e.Message}";
    }

    /// <summary>Runs a server of <paramref name="protocol"/> until SIGINT/SIGTERM, with settings from the command line (already parsed into keys), environment and files; returns the exit code (0 graceful stop, 1 runtime failure, 2 usage error).</summary>
    public static Task<int> RunAsync(ProtocolKind protocol, IReadOnlyDictionary<string, string?> commandLine, TextWriter stdout, TextWriter stderr) =>
        RunAsync(protocol, commandLine, stdout, stderr, program: "pipechat");

    /// <summary>As the public overload, with <paramref name="program"/> at the start of every error line.</summary>
    internal static async Task<int> RunAsync(ProtocolKind protocol, IReadOnlyDictionary<string, string?> commandLine, TextWriter stdout, TextWriter stderr, string program)
    {
        PipeChatOptions options;
        var warnings = new List<string>();
        try
        {
            options = OptionsResolver.Resolve(protocol, BuildConfiguration(commandLine), warnings);
        }
        catch (UsageException e)
        {
            await stderr.WriteLineAsync($"{program}: {e.Message}").ConfigureAwait(false);
            return 2;
        }

        foreach (var warning in warnings)
        {
            await stderr.WriteLineAsync($"{program}: warning: {warning}").ConfigureAwait(false);
        }

        // Empty, not CreateApplicationBuilder with DisableDefaults: the same host, but the default
        // providers (EventLog, debug and event-source loggers, user secrets, ...) are not even
        // reachable, so the native binary does not carry them.
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(options.LogLevel);
        var underSystemd = SystemdHelpers.IsSystemdService();
        if (underSystemd)
        {
            // Under systemd: journald-friendly lines (priority prefixes), Type=notify readiness.
            builder.Services.AddSystemd();
        }

        ConsoleLogging.Add(builder.Logging, options.LogFormat, underSystemd);
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.ShutdownTimeout + TimeSpan.FromSeconds(10));
        HostStartServices.RemoveUnused(builder.Services);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<ServerHolder>();
        builder.Services.AddHostedService(sp => new ServerHostedService(
            sp.GetRequiredService<ServerHolder>(), options, stdout, sp.GetRequiredService<ILoggerFactory>().CreateLogger("PipeChat.Host")));

        using var host = builder.Build();
        var holder = host.Services.GetRequiredService<ServerHolder>();
        try
        {
            var built = ServerFactory.Create(options, host.Services.GetRequiredService<ILoggerFactory>());
            holder.Server = built.Server;
            holder.Metrics = built.Metrics;
            holder.Layers = built.Layers;
            holder.Companion = built.Companion;
            if (options.MetricsPort is { } metricsPort)
            {
                holder.MetricsEndpoint = new Diagnostics.MetricsEndpoint(options.MetricsHost ?? options.Host, metricsPort);
            }
        }
        catch (HttpListenerException e)
        {
            // The server is bound already: close it (and remove its Unix socket file) before exiting.
            await holder.Server!.DisposeAsync().ConfigureAwait(false);
            if (holder.Companion is { } companion)
            {
                await companion.DisposeAsync().ConfigureAwait(false);
            }

            var metricsHost = options.MetricsHost ?? options.Host;
            var url = $"http://{ServerHostedService.Format(new IPEndPoint(metricsHost, options.MetricsPort!.Value))}/metrics";
            await stderr.WriteLineAsync($"{program}: cannot listen on {url}: {e.Message}").ConfigureAwait(false);
            return 1;
        }
        catch (Transport.Tls.TlsConfigurationException e)
        {
            await stderr.WriteLineAsync($"{program}: {e.Message}").ConfigureAwait(false);
            return 1;
        }
        catch (Cluster.ClusterUnreachableException e)
        {
            await stderr.WriteLineAsync($"{program}: {e.Message}").ConfigureAwait(false);
            return 1;
        }
        catch (SocketException e)
        {
            var address = options.Unix is { } path && !options.Udp
                ? "unix:" + path
                : $"{options.Scheme}://{ServerHostedService.Format(new IPEndPoint(options.Host, options.Port))}";
            var reason = options.Unix is not null && !options.Udp && e.SocketErrorCode == SocketError.AddressNotAvailable
                ? "no such directory" // ENOENT
                : Describe(e);
            await stderr.WriteLineAsync($"{program}: cannot listen on {address}: {reason}").ConfigureAwait(false);
            return 1;
        }
        catch (ListenException e)
        {
            await stderr.WriteLineAsync($"{program}: {e.Message}").ConfigureAwait(false);
            return 1;
        }
        catch (UsageException e)
        {
            await stderr.WriteLineAsync($"{program}: {e.Message}").ConfigureAwait(false);
            return 2;
        }

        await host.RunAsync().ConfigureAwait(false);
        return 0;
    }

    private static string Describe(SocketException e) => e.SocketErrorCode switch
    {
        SocketError.AddressAlreadyInUse => "address already in use",
        SocketError.AddressNotAvailable => "address not available on this machine",
        SocketError.AccessDenied => "permission denied",
        _ => e.Message,
    };
}
