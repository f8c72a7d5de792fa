using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using PipeChat.Hosting;

namespace PipeChat.Tests.Hosting;

/// <summary>Only the console formatter in use is registered (start-up allocation of the native binary).</summary>
public class ConsoleLoggingTests
{
    [Theory]
    [InlineData(null, false, "simple")]
    [InlineData("simple", false, "simple")]
    [InlineData("json", false, "json")]
    [InlineData("json", true, "systemd")]
    [InlineData(null, true, "systemd")]
    public void Only_the_formatter_in_use_is_registered(string? logFormat, bool underSystemd, string formatterName)
    {
        var services = new ServiceCollection();
        services.AddLogging(logging => ConsoleLogging.Add(logging, logFormat, underSystemd));

        Assert.Single(services, d => d.ServiceType == typeof(ConsoleFormatter));
        using var provider = services.BuildServiceProvider();
        var formatter = Assert.Single(provider.GetServices<ConsoleFormatter>());
        Assert.Equal(formatterName, formatter.Name);
        Assert.Equal(formatterName, provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<ConsoleLoggerOptions>>().Value.FormatterName);
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("json", false)]
    [InlineData(null, true)]
    public void Options_are_not_bound_to_configuration_and_the_settings_made_in_code_stay(string? logFormat, bool underSystemd)
    {
        var services = new ServiceCollection();
        services.AddLogging(logging => ConsoleLogging.Add(logging, logFormat, underSystemd));

        Assert.DoesNotContain(services, d => d.ImplementationType is not null && d.ServiceType.IsGenericType
            && d.ServiceType.GetGenericTypeDefinition() == typeof(Microsoft.Extensions.Options.IOptionsChangeTokenSource<>));
        Assert.DoesNotContain(services, d => d.ImplementationType is not null && d.ServiceType.IsGenericType
            && d.ServiceType.GetGenericTypeDefinition() == typeof(Microsoft.Extensions.Options.IConfigureOptions<>)
            && d.ServiceType.GetGenericArguments()[0].Namespace == typeof(ConsoleLoggerOptions).Namespace);
        using var provider = services.BuildServiceProvider();
        Assert.Equal(LogLevel.Trace, provider.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<ConsoleLoggerOptions>>().CurrentValue.LogToStandardErrorThreshold);
        if (!underSystemd && logFormat is null)
        {
            var simple = provider.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<SimpleConsoleFormatterOptions>>().CurrentValue;
            Assert.True(simple.SingleLine);
            Assert.Equal("HH:mm:ss.fff ", simple.TimestampFormat);
        }
        else if (!underSystemd)
        {
            Assert.Equal("O", provider.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<JsonConsoleFormatterOptions>>().CurrentValue.TimestampFormat);
        }
    }

    [Fact]
    public void An_unknown_formatter_name_keeps_every_registration()
    {
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.AddConsole());
        var before = services.Count(d => d.ServiceType == typeof(ConsoleFormatter));

        Assert.Equal(0, ConsoleLogging.KeepOnlyFormatter(services, "NoSuchConsoleFormatter"));
        Assert.Equal(3, before);
        Assert.Equal(before, services.Count(d => d.ServiceType == typeof(ConsoleFormatter)));
    }
}
