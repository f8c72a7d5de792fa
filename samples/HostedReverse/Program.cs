using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PipeChat.Hosting;
using PipeChat.Samples.HostedReverse;

// Apply before the host opens any socket (docs/library.md, Runtime settings).
RuntimeSettings.ApplyInlineCompletions();

var builder = Host.CreateApplicationBuilder(args);

// Settings come from the "PipeChat" section of appsettings.json; let --port and --host reach it too.
builder.Configuration.AddCommandLine(args, new Dictionary<string, string>
{
    ["--port"] = "PipeChat:Port",
    ["--host"] = "PipeChat:Host",
});

// Standard output carries only the ready line.
builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);

builder.Services.AddPipeChatServer(new ReverseProtocol(), defaultPort: 7100);

await builder.Build().RunAsync();
