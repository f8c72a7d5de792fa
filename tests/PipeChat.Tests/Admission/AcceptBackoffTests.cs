using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using PipeChat.Diagnostics;
using PipeChat.Servers;

namespace PipeChat.Tests.Admission;

public class AcceptBackoffTests
{
    [Fact]
    public void Pauses_double_up_to_100_ms_are_counted_and_start_over_after_an_accept()
    {
        var stats = new ServerStats();
        var backoff = new AcceptBackoff(stats, NullLogger.Instance, new FakeTimeProvider());
        int[] expected = [5, 10, 20, 40, 80, 100, 100];
        foreach (var ms in expected)
        {
            Assert.Equal(TimeSpan.FromMilliseconds(ms), backoff.OnShortage("EMFILE"));
        }

        using (var accepted = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            Assert.Null(backoff.OnAccepted(accepted)); // a low descriptor: served, not in the reserve
        }

        Assert.Equal(TimeSpan.FromMilliseconds(5), backoff.OnShortage("EMFILE"));
        Assert.Equal(expected.Length + 1, stats.AcceptBackoffs);
    }

    [Fact]
    public void A_failed_accept_pauses_only_for_a_shortage()
    {
        var stats = new ServerStats();
        var backoff = new AcceptBackoff(stats, NullLogger.Instance, new FakeTimeProvider());
        Assert.Equal(TimeSpan.Zero, backoff.OnAcceptFailed(SocketError.ConnectionAborted));
        Assert.Equal(0, stats.AcceptBackoffs);
        Assert.Equal(TimeSpan.FromMilliseconds(5), backoff.OnAcceptFailed(SocketError.TooManyOpenSockets));
        Assert.Equal(1, stats.AcceptBackoffs);
    }

    [Theory]
    [InlineData(SocketError.TooManyOpenSockets, true)]
    [InlineData(SocketError.NoBufferSpaceAvailable, true)]
    [InlineData(SocketError.ConnectionAborted, false)]
    [InlineData(SocketError.ConnectionReset, false)]
    public void Only_a_shortage_of_descriptors_or_memory_pauses_accepting(SocketError error, bool pauses)
    {
        Assert.Equal(pauses, AcceptBackoff.IsShortage(error));
    }

    [Fact]
    public void The_reserve_left_to_the_runtime_is_a_sixteenth_of_the_limit_within_8_and_64()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        Assert.NotEqual(long.MaxValue, AcceptBackoff.DescriptorLimit);
        Assert.Equal(Math.Clamp(AcceptBackoff.DescriptorLimit / 16, 8, 64), AcceptBackoff.Reserve);
    }
}
