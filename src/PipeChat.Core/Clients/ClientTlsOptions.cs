namespace PipeChat.Clients;

/// <summary>`--tls` of the clients: verify the server against the system roots, or <see cref="CaFile"/>, or not at all (<see cref="Insecure"/>).</summary>
public sealed record ClientTlsOptions
{
    /// <summary>PEM file of the certificates to trust instead of the system roots (--tls-ca).</summary>
    public string? CaFile { get; init; }

    /// <summary>Skip verification of the server's certificate (--tls-insecure).</summary>
    public bool Insecure { get; init; }

    /// <summary>The name to verify the server's certificate for (HOST as given, e.g. localhost); null: the address connected to.</summary>
    public string? ServerName { get; init; }
}
