using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using PipeChat.Hosting;

namespace PipeChat.Tests.Hosting;

/// <summary>The host PipeChatHost builds skips the start-up options validation it does not use.</summary>
public class HostStartServicesTests
{
    [Fact]
    public async Task The_start_up_validator_is_removed_and_the_host_still_starts_and_stops()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        Assert.Contains(builder.Services, d => d.ServiceType == typeof(IStartupValidator));

        HostStartServices.RemoveUnused(builder.Services);

        Assert.DoesNotContain(builder.Services, d => d.ServiceType == typeof(IStartupValidator));
        using var host = builder.Build();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await host.StartAsync(timeout.Token);
        await host.StopAsync(timeout.Token);
    }
}
