namespace PipeChat.Diagnostics;

/// <summary>Why a connection was closed on arrival.</summary>
public enum RejectReason
{
    /// <summary>--max-connections were open.</summary>
    MaxConnections,

    /// <summary>The client's address held --max-connections-per-ip.</summary>
    PerIp,
}
