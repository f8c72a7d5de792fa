using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace PipeChat.Hosting;

/// <summary>
/// Runs a server the .NET way: Generic Host for configuration, logging and graceful shutdown.
/// Returns the process exit code of SPEC §2 (0 graceful, 1 runtime failure, 2 usage).
/// </summary>
public static class PipeChatHost
{
    /// <summary>Configuration from appsettings.json beside the executable, PIPECHAT_* variables, then the command line.</summary>
    public static IConfiguration BuildConfiguration(IReadOnlyDictionary<string, string?> commandLine)
    {
        var environment = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (System.Collections.DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            if (entry.Key is string name && OptionsResolver.KeyForEnvironmentVariable(name) is { } key)
            {
                environment[key] = entry.Value as string;
            }
        }

        return new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true, reloadOnChange: false)
            .AddInMemoryCollection(environment)
            .AddInMemoryCollection(commandLine)
            .Build();
    }

    public static async Task<int> RunAsync(ProtocolKind protocol, IReadOnlyDictionary<string, string?> commandLine, TextWriter stdout, TextWriter stderr)
    {
        PipeChatOptions options;
        try
        {
            options = OptionsResolver.Resolve(protocol, BuildConfiguration(commandLine));
        }
        catch (UsageException e)
        {
            await stderr.WriteLineAsync($"pipechat: {e.Message}").ConfigureAwait(false);
            return 2;
        }
        catch (InvalidDataException e)
        {
            await stderr.WriteLineAsync($"pipechat: appsettings.json: {e.Message}").ConfigureAwait(false);
            return 2;
        }

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(options.LogLevel);
        if (SystemdHelpers.IsSystemdService())
        {
            // Under systemd: journald-friendly lines (priority prefixes), Type=notify readiness.
            builder.Services.AddSystemd();
            builder.Logging.AddSystemdConsole();
        }
        else if (options.LogFormat == "json")
        {
            builder.Logging.AddJsonConsole(o => o.TimestampFormat = "O");
        }
        else
        {
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
            });
        }

        // Standard output carries only the ready line; every log line goes to standard error.
        builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.ShutdownTimeout + TimeSpan.FromSeconds(10));
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
        }
        catch (SocketException e)
        {
            var address = ServerHostedService.Format(new IPEndPoint(options.Host, options.Port));
            await stderr.WriteLineAsync($"pipechat: cannot listen on {options.Scheme}://{address}: {Describe(e)}").ConfigureAwait(false);
            return 1;
        }
        catch (UsageException e)
        {
            await stderr.WriteLineAsync($"pipechat: {e.Message}").ConfigureAwait(false);
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
