namespace PipeChat.Diagnostics;

/// <summary>Why a TLS handshake failed (the reason label of pipechat.tls.handshake_failures).</summary>
internal enum TlsFailure
{
    /// <summary>Not completed within the handshake timeout (a client that never handshakes).</summary>
    Timeout,

    /// <summary>Not TLS, or TLS the server refuses (plain text on the TLS port, no common version or cipher).</summary>
    Protocol,

    /// <summary>Anything else, e.g. the client closed or reset the connection mid-handshake.</summary>
    Other,
}
