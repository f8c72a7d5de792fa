using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace PipeChat.Hosting;

/// <summary>
/// The server's console logging: one line per entry on standard error, in the format asked for
/// (simple, JSON, or journald's under systemd). AddConsole registers all three of the library's
/// formatters, and the console provider builds every registered one (each with its options and
/// change tracking) when the host starts; only the one in use is kept, which saves about 0.6 MB of
/// start-up allocation (docs/measurements.md, native binary).
/// </summary>
internal static class ConsoleLogging
{
    internal const string Simple = "SimpleConsoleFormatter";
    internal const string Json = "JsonConsoleFormatter";
    internal const string Systemd = "SystemdConsoleFormatter";

    /// <summary>Adds the console logger for <paramref name="logFormat"/> ("json" or simple), or journald's format under systemd.</summary>
    internal static void Add(ILoggingBuilder logging, string? logFormat, bool underSystemd)
    {
        string formatter;
        if (underSystemd)
        {
            logging.AddSystemdConsole();
            formatter = Systemd;
        }
        else if (logFormat == "json")
        {
            logging.AddJsonConsole(o => o.TimestampFormat = "O");
            formatter = Json;
        }
        else
        {
            logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
            });
            formatter = Simple;
        }

        KeepOnlyFormatter(logging.Services, formatter);
        RemoveConfigurationBinding(logging.Services);

        // Standard output carries only the ready line; every log line goes to standard error.
        logging.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
    }

    /// <summary>
    /// Removes the library's binding of the console logger's options to the "Logging:Console"
    /// configuration section and its reload tracking: the host PipeChat builds has no logging
    /// configuration (an empty application builder), so they bind nothing, but build options
    /// factories and change tokens at start. The settings made here in code (registered as
    /// instances, not types) stay.
    /// </summary>
    /// <returns>How many registrations were removed.</returns>
    internal static int RemoveConfigurationBinding(IServiceCollection services)
    {
        Type[] options = [typeof(ConsoleLoggerOptions), typeof(SimpleConsoleFormatterOptions), typeof(JsonConsoleFormatterOptions), typeof(ConsoleFormatterOptions)];
        var binders = services.Where(d => d.ImplementationType is not null && d.ServiceType.IsGenericType
            && (d.ServiceType.GetGenericTypeDefinition() == typeof(IConfigureOptions<>) || d.ServiceType.GetGenericTypeDefinition() == typeof(IOptionsChangeTokenSource<>))
            && options.Contains(d.ServiceType.GetGenericArguments()[0])).ToList();
        foreach (var descriptor in binders)
        {
            services.Remove(descriptor);
        }

        return binders.Count;
    }

    /// <summary>
    /// Removes every console formatter registration but <paramref name="typeName"/>'s. The library's
    /// formatter types are internal, so they are told apart by name; if the name is not found
    /// exactly once (a library change), every registration stays: more memory, same output.
    /// </summary>
    /// <returns>How many registrations were removed.</returns>
    internal static int KeepOnlyFormatter(IServiceCollection services, string typeName)
    {
        var formatters = services.Where(d => d.ServiceType == typeof(ConsoleFormatter)).ToList();
        if (formatters.Count(d => d.ImplementationType?.Name == typeName) != 1)
        {
            return 0;
        }

        var removed = 0;
        foreach (var descriptor in formatters.Where(d => d.ImplementationType?.Name != typeName))
        {
            services.Remove(descriptor);
            removed++;
        }

        return removed;
    }
}
