namespace PipeChat.Transport.Tls;

/// <summary>A certificate or key file cannot be read or parsed; the message names the file.</summary>
internal sealed class TlsConfigurationException : Exception
{
    public TlsConfigurationException()
    {
    }

    public TlsConfigurationException(string message)
        : base(message)
    {
    }

    public TlsConfigurationException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
