using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PipeChat.Protocols;

namespace PipeChat.Hosting;

/// <summary>Serving a protocol inside an application's own Generic Host.</summary>
public static partial class PipeChatServiceCollectionExtensions
{
    /// <summary>
    /// Adds a hosted service serving <paramref name="protocol"/>, configured from the application's
    /// configuration section "PipeChat" (keys of docs/options.md: Port, Host, Model, MaxConnections, ...).
    /// PIPECHAT_* variables win over that section, as for <c>pipechat</c>. It binds when the host
    /// starts, writes the ready line to standard output, and drains on stop; the host's shutdown
    /// timeout is raised to cover the drain window.
    /// </summary>
    public static IServiceCollection AddPipeChatServer(this IServiceCollection services, IStreamProtocol protocol, int defaultPort = 7000)
    {
        ArgumentNullException.ThrowIfNull(services);
        var kind = PipeChatServer.Create(protocol).WithDefaultPort(defaultPort).ToProtocolKind();
        services.AddHostedService(sp =>
        {
            var loggers = sp.GetRequiredService<ILoggerFactory>();
            var warnings = new List<string>();
            var options = OptionsResolver.Resolve(kind, Settings(sp.GetRequiredService<IConfiguration>()), warnings);
            var logger = loggers.CreateLogger("PipeChat.Host");
            foreach (var warning in warnings)
            {
                SettingIgnored(logger, warning);
            }

            var built = ServerFactory.Create(options, loggers);
            var holder = new ServerHolder { Server = built.Server, Metrics = built.Metrics, Layers = built.Layers };
            return new ServerHostedService(holder, options, Console.Out, logger);
        });
        services.AddOptions<HostOptions>().Configure<IConfiguration>((host, configuration) =>
        {
            var drain = OptionsResolver.Resolve(kind, Settings(configuration)).ShutdownTimeout + TimeSpan.FromSeconds(10);
            if (host.ShutdownTimeout < drain)
            {
                host.ShutdownTimeout = drain;
            }
        });
        return services;
    }

    // The application's configuration, then the PIPECHAT_* variables on top.
    private static IConfiguration Settings(IConfiguration application) =>
        new ConfigurationBuilder().AddConfiguration(application).Add(new EnvironmentOptionsSource()).Build();

    [LoggerMessage(LogLevel.Warning, "{Warning}")]
    private static partial void SettingIgnored(ILogger logger, string warning);
}
