namespace PipeChat.Diagnostics;

/// <summary>
/// A count a protocol keeps of its own (lines relayed, members cut, ...), published with the
/// server's metrics under the server's tags. A protocol names its counters in its registration, so
/// adding one touches nothing here. Counters of several protocols may share a name when they mean
/// the same thing (same kind and unit).
/// </summary>
/// <param name="Name">The instrument name, e.g. <c>pipechat.chat.lines_relayed</c>.</param>
/// <param name="IsGauge">A value that goes up and down (true) or a total that only grows (false).</param>
/// <param name="Unit">The unit, e.g. <c>{line}</c>.</param>
/// <param name="Description">What it counts, one sentence without the final stop.</param>
/// <param name="Read">Reads the current value; called when metrics are collected, never on the hot path.</param>
public sealed record ProtocolCounter(string Name, bool IsGauge, string Unit, string Description, Func<long> Read)
{
    /// <summary>The definition this counter is published under (its value read from each server's own counter).</summary>
    internal MetricDefinition Definition => new(Name, IsGauge, Unit, Description, source => source.Read(Name));
}
