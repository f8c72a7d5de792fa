using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using PipeChat.Connections;
using PipeChat.Diagnostics;
using PipeChat.Servers;

namespace PipeChat.Tests.Admission;

public class AdmissionTests
{
    [Fact]
    public void Per_ip_counts_are_capped_per_address_and_forgotten_at_zero()
    {
        var admission = new PipeChat.Servers.Admission(new ServerSettings { MaxConnectionsPerIp = 2 }, default, new ServerStats(), NullLogger.Instance);
        var a = ClientAddress.From(IPAddress.Parse("10.0.0.1"));
        var b = ClientAddress.From(IPAddress.Parse("10.0.0.2"));

        Assert.True(admission.TryCount(a));
        Assert.True(admission.TryCount(a));
        Assert.False(admission.TryCount(a));
        Assert.True(admission.TryCount(b));
        Assert.Equal(2, admission.TrackedAddresses);

        admission.Release(a);
        Assert.True(admission.TryCount(a));

        admission.Release(a);
        admission.Release(a);
        admission.Release(b);
        Assert.Equal(0, admission.TrackedAddresses);
        admission.Release(null);
        Assert.Equal(0, admission.TrackedAddresses);
    }

    [Fact]
    public void An_ipv4_client_and_its_ipv4_mapped_form_are_one_address()
    {
        Assert.Equal(ClientAddress.From(IPAddress.Parse("192.0.2.7")), ClientAddress.From(IPAddress.Parse("::ffff:192.0.2.7")));
        Assert.NotEqual(ClientAddress.From(IPAddress.Parse("192.0.2.7")), ClientAddress.From(IPAddress.Parse("192.0.2.8")));
        Assert.NotEqual(ClientAddress.From(IPAddress.Parse("::1")), ClientAddress.From(IPAddress.Parse("::2")));
    }
}
