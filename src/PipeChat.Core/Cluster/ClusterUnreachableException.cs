namespace PipeChat.Cluster;

/// <summary>The NATS server of <c>--cluster</c> could not be reached (or has no JetStream) at start.</summary>
internal sealed class ClusterUnreachableException(string message, Exception? inner = null) : Exception(message, inner);
