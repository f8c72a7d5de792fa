using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using PipeChat.Hosting;
using PipeChat.Servers;
using PipeChat.Protocols.Chat;

namespace PipeChat.Tests.Hosting;

public class OptionsResolverTests
{
    private static PipeChatOptions Resolve(ProtocolKind protocol, params (string Key, string Value)[] values)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>("PipeChat:" + v.Key, v.Value)))
            .Build();
        return OptionsResolver.Resolve(protocol, configuration);
    }

    [Fact]
    public void Defaults_follow_the_spec()
    {
        var echo = Resolve(ProtocolKind.Echo);
        Assert.Equal(7007, echo.Port);
        Assert.Equal(IPAddress.Loopback, echo.Host);
        Assert.Equal(ModelRegistry.Async, echo.Model);
        Assert.Equal(10_000, echo.MaxConnections);
        Assert.Equal(4096, echo.MaxLine);
        Assert.Equal(TimeSpan.FromSeconds(5), echo.ShutdownTimeout);
        Assert.Equal(TimeSpan.Zero, echo.IdleTimeout);
        Assert.Equal(LogLevel.Information, echo.LogLevel);

        Assert.Equal(7000, Resolve(ProtocolKind.Chat).Port);
        Assert.Equal(TimeSpan.FromSeconds(600), Resolve(ProtocolKind.Chat, ("Udp", "true")).IdleTimeout);
        Assert.Equal(WakeCoalescing.Auto, Resolve(ProtocolKind.Chat).WakeCoalescing);
        Assert.Equal(100, Resolve(ProtocolKind.Chat).MaxLineRate);
        Assert.Equal(0, Resolve(ProtocolKind.Chat, ("MaxLineRate", "0")).MaxLineRate);
        Assert.Equal(TimeSpan.FromSeconds(30), Resolve(ProtocolKind.Chat).LineTimeout);
        Assert.Equal(TimeSpan.FromSeconds(1.5), Resolve(ProtocolKind.Chat, ("LineTimeout", "1.5")).LineTimeout);
        Assert.Equal(WakeCoalescing.Auto, Resolve(ProtocolKind.Chat, ("WakeCoalescingMs", "AUTO")).WakeCoalescing);
        Assert.Equal(WakeCoalescing.Off, Resolve(ProtocolKind.Chat, ("WakeCoalescingMs", "0")).WakeCoalescing);
        Assert.Equal(WakeCoalescing.Fixed(TimeSpan.FromMilliseconds(2)), Resolve(ProtocolKind.Chat, ("WakeCoalescingMs", "2")).WakeCoalescing);
        Assert.Equal(WakeCoalescing.Fixed(TimeSpan.FromMilliseconds(0.25)), Resolve(ProtocolKind.Chat, ("WakeCoalescingMs", "0.25")).WakeCoalescing);
        Assert.Equal(PipeChat.Transport.SocketIoKind.Auto, Resolve(ProtocolKind.Echo).Io);
        Assert.Equal(PipeChat.Transport.SocketIoKind.Saea, Resolve(ProtocolKind.Echo, ("Io", "SAEA")).Io);
        Assert.Equal(0, Resolve(ProtocolKind.Echo).IoThreads);
        Assert.Equal(0, Resolve(ProtocolKind.Echo, ("IoThreads", "auto")).IoThreads);
        Assert.Equal(3, Resolve(ProtocolKind.Chat, ("IoThreads", "3")).IoThreads);
        if (OperatingSystem.IsLinux())
        {
            Assert.Equal(PipeChat.Transport.SocketIoKind.Epoll, Resolve(ProtocolKind.Chat, ("Io", "epoll")).Io);
        }
    }

    [Theory]
    [InlineData("Port", "70000", "--port")]
    [InlineData("Port", "abc", "--port")]
    [InlineData("Model", "fibers", "--model")]
    [InlineData("Host", "not-an-ip", "--host")]
    [InlineData("MaxConnections", "0", "--max-connections")]
    [InlineData("ShutdownTimeout", "-1", "--shutdown-timeout")]
    [InlineData("LogLevel", "loud", "--log-level")]
    [InlineData("Udp", "maybe", "--udp")]
    [InlineData("WakeCoalescingMs", "5000", "--wake-coalescing-ms")]
    [InlineData("WakeCoalescingMs", "soon", "--wake-coalescing-ms")]
    [InlineData("WakeCoalescingMs", "-0.5", "--wake-coalescing-ms")]
    [InlineData("Io", "uring", "--io")]
    [InlineData("IoThreads", "0", "--io-threads")]
    [InlineData("IoThreads", "many", "--io-threads")]
    [InlineData("MaxLineRate", "-1", "--max-line-rate")]
    [InlineData("LineTimeout", "-1", "--line-timeout")]
    public void Bad_values_name_the_option(string key, string value, string option)
    {
        var error = Assert.Throws<UsageException>(() => Resolve(ProtocolKind.Echo, (key, value)));
        Assert.Contains(option, error.Message, StringComparison.Ordinal);
        Assert.Contains(value, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Chat_has_no_iterative_model()
    {
        var error = Assert.Throws<UsageException>(() => Resolve(ProtocolKind.Chat, ("Model", "iterative")));
        Assert.Contains("iterative", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("PIPECHAT_PORT", "PipeChat:Port")]
    [InlineData("PIPECHAT_MAX_CONNECTIONS", "PipeChat:MaxConnections")]
    [InlineData("PIPECHAT_SHUTDOWN_TIMEOUT", "PipeChat:ShutdownTimeout")]
    [InlineData("PIPECHAT_MAX_LINE_RATE", "PipeChat:MaxLineRate")]
    [InlineData("PIPECHAT_NOT_AN_OPTION", null)]
    [InlineData("PATH", null)]
    public void Environment_variables_map_to_option_keys(string variable, string? key)
    {
        Assert.Equal(key, OptionsResolver.KeyForEnvironmentVariable(variable));
    }

    [Fact]
    public void Command_line_wins_over_environment_and_appsettings()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection([new("PipeChat:Port", "1111"), new("PipeChat:Model", "threads")])
            .AddInMemoryCollection([new("PipeChat:Port", "2222")])
            .AddInMemoryCollection([new("PipeChat:Port", "3333")])
            .Build();
        var options = OptionsResolver.Resolve(ProtocolKind.Echo, configuration);
        Assert.Equal(3333, options.Port);
        Assert.Equal(ModelRegistry.Threads, options.Model);
    }
}
