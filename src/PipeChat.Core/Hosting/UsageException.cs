namespace PipeChat.Hosting;

/// <summary>A bad option or value: reported in one line, exit code 2.</summary>
public sealed class UsageException : Exception
{
    /// <summary>Creates a usage error; <paramref name="message"/> names the option or value.</summary>
    public UsageException(string message)
        : base(message)
    {
    }

    /// <summary>Creates a usage error with a default message.</summary>
    public UsageException()
    {
    }

    /// <summary>Creates a usage error with its message and cause.</summary>
    public UsageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
