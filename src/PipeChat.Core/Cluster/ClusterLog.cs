using Microsoft.Extensions.Logging;

namespace PipeChat.Cluster;

/// <summary>The cluster's log lines (event ids 150-169); the repeated ones go through a <see cref="Diagnostics.LogLimiter"/>.</summary>
internal static partial class ClusterLog
{
    [LoggerMessage(150, LogLevel.Information, "cluster {Cluster}: node {Node} linked through {Url}")]
    public static partial void Linked(ILogger logger, string cluster, string node, string url);

    [LoggerMessage(151, LogLevel.Warning, "cluster {Cluster}: link to {Url} lost; members hear '* cluster unavailable', lines stay on this node")]
    public static partial void Unavailable(ILogger logger, string cluster, string url);

    [LoggerMessage(152, LogLevel.Information, "cluster {Cluster}: link to {Url} restored; presence resynchronised")]
    public static partial void Restored(ILogger logger, string cluster, string url);

    [LoggerMessage(153, LogLevel.Information, "cluster: {Count} lines not sent to the other nodes ({Reason}; {Suppressed} more since the last line)")]
    public static partial void LinesDropped(ILogger logger, long count, string reason, long suppressed);

    [LoggerMessage(154, LogLevel.Information, "cluster: {Frames} frames from node {Node} never arrived (sequence gap; {Suppressed} more gaps since the last line)")]
    public static partial void Gap(ILogger logger, long frames, string node, long suppressed);

    [LoggerMessage(155, LogLevel.Information, "cluster: node {Node} {How}: {Members} members announced as left")]
    public static partial void NodeGone(ILogger logger, string node, string how, int members);

    [LoggerMessage(156, LogLevel.Information, "cluster: malformed frame dropped ({Suppressed} more since the last line)")]
    public static partial void Malformed(ILogger logger, long suppressed);

    [LoggerMessage(157, LogLevel.Warning, "cluster: name {Name} is held by another node after the outage; its member here is renamed to {NewName}")]
    public static partial void NameConflict(ILogger logger, string name, string newName);

    [LoggerMessage(158, LogLevel.Warning, "cluster: {Operation} failed: {Error}")]
    public static partial void OperationFailed(ILogger logger, string operation, string error);

    [LoggerMessage(159, LogLevel.Information, "cluster: {Count} names of departed nodes freed")]
    public static partial void NamesFreed(ILogger logger, int count);

    [LoggerMessage(160, LogLevel.Warning, "cluster: no claimed userN name at hand for a new member (waits up to {Seconds} s); numbered on this node alone, unique here only ({Suppressed} more since the last line)")]
    public static partial void NameNumberedLocally(ILogger logger, double seconds, long suppressed);
}
