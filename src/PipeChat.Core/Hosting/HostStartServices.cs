using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace PipeChat.Hosting;

/// <summary>
/// What the Generic Host runs at start that PipeChat does not use. The host validates options
/// marked ValidateOnStart through <see cref="IStartupValidator"/>; the only such options are the
/// host's own metrics subscriptions (listeners added through builder.Metrics, none here), whose
/// validation builds the subscription manager, a meter listener and their configuration binding:
/// about 0.8 MB allocated before the ready line (docs/measurements.md, native binary). PipeChat's own
/// settings are resolved and checked by <see cref="OptionsResolver"/> before the host is built, and
/// the "PipeChat" meter is read by any listener (dotnet-counters, the metrics endpoint) as before.
/// </summary>
internal static class HostStartServices
{
    /// <summary>Removes the start-up options validation (nothing of PipeChat's uses ValidateOnStart).</summary>
    internal static void RemoveUnused(IServiceCollection services) => services.RemoveAll<IStartupValidator>();
}
