using System.Net;
using PipeChat.Diagnostics;

namespace PipeChat.Servers;

/// <summary>A bound server of any model and protocol, as the host sees it.</summary>
public interface IServer : IAsyncDisposable
{
    /// <summary>The address actually bound (the real port when 0 was asked).</summary>
    IPEndPoint LocalEndPoint { get; }

    /// <summary>Live counters.</summary>
    ServerStats Stats { get; }

    /// <summary>Starts serving on the socket bound at construction.</summary>
    void Start();

    /// <summary>
    /// Stops accepting at once, lets open connections finish what they already received for
    /// up to <paramref name="drainTimeout"/>, then aborts whatever is still open.
    /// </summary>
    Task StopAsync(TimeSpan drainTimeout);
}
