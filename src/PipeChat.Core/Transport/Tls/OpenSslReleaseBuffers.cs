using System.Net.Security;
using System.Reflection;
using System.Runtime.InteropServices;

namespace PipeChat.Transport.Tls;

/// <summary>
/// Sets OpenSSL's <c>SSL_MODE_RELEASE_BUFFERS</c> on an authenticated <see cref="SslStream"/>, which
/// .NET does not: OpenSSL then frees a connection's record buffers (about 17 KB each for reading and
/// writing) whenever they are empty, i.e. while the connection is idle, and allocates them again for
/// the next record. On Linux only, where SslStream runs on OpenSSL. The SSL handle is SslStream's
/// private <c>_securityContext</c> (read by reflection on constant names, which the trimmer and
/// native AOT keep), used only when it is OpenSSL's SafeSslHandle; SSL_ctrl is called in the very
/// libssl the runtime loaded. Whatever does not fit (another runtime layout, another TLS library, no
/// libssl mapped) leaves the connection with its buffers, as without this; the layer logs that once.
/// </summary>
internal static unsafe class OpenSslReleaseBuffers
{
    private const int SslCtrlMode = 33;         // SSL_CTRL_MODE
    private const nint SslModeReleaseBuffers = 0x10; // SSL_MODE_RELEASE_BUFFERS

    // SSL_ctrl, looked up at the first call (after a handshake, so the runtime has loaded libssl);
    // 0 once it is known not to be there, or once the SslStream field was not found.
    private static nint s_sslCtrl = -1;

    /// <summary>Sets the mode on <paramref name="stream"/>'s SSL object; false when it could not.</summary>
    /// <remarks>Call once the handshake completed and before the connection reads or writes.</remarks>
    public static bool TryApply(SslStream stream) => Mode(stream, SslModeReleaseBuffers);

    /// <summary>Whether <paramref name="stream"/>'s SSL object has the mode (false where it cannot be known).</summary>
    public static bool IsSet(SslStream stream) => Mode(stream, 0);

    // SSL_ctrl(SSL_CTRL_MODE, add) ORs add into the mode and returns the mode.
    private static bool Mode(SslStream stream, nint add)
    {
        var ctrl = Volatile.Read(ref s_sslCtrl);
        if (ctrl == -1)
        {
            ctrl = Resolve();
            Volatile.Write(ref s_sslCtrl, ctrl);
        }

        if (ctrl == 0)
        {
            return false;
        }

        try
        {
            // Only OpenSSL's SSL handle (SafeSslHandle, whose handle is the SSL*) is passed to SSL_ctrl.
            if (SecurityContext(stream) is not SafeHandle { IsInvalid: false, IsClosed: false } handle || SslHandleType?.IsInstanceOfType(handle) != true)
            {
                return false;
            }

            var added = false;
            try
            {
                handle.DangerousAddRef(ref added);
                var mode = ((delegate* unmanaged<nint, int, nint, nint, nint>)ctrl)(handle.DangerousGetHandle(), SslCtrlMode, add, 0);
                return (mode & SslModeReleaseBuffers) != 0;
            }
            finally
            {
                if (added)
                {
                    handle.DangerousRelease();
                }
            }
        }
        catch (Exception e) when (e is MissingMemberException or TypeLoadException or InvalidCastException or ObjectDisposedException)
        {
            Volatile.Write(ref s_sslCtrl, 0); // A runtime without that field: never try again.
            return false;
        }
    }

    // SslStream keeps its SSL handle (SafeSslHandle, internal) in this private field; the trimmer and
    // native AOT keep a field named by a constant in GetField on a known type.
    private static readonly FieldInfo? SecurityContextField =
        typeof(SslStream).GetField("_securityContext", BindingFlags.Instance | BindingFlags.NonPublic);

    private static readonly Type? SslHandleType = Type.GetType("Microsoft.Win32.SafeHandles.SafeSslHandle, System.Net.Security");

    /// <summary>The SSL handle of <paramref name="stream"/> when it is OpenSSL's SafeSslHandle (its handle is the SSL*), else null.</summary>
    internal static SafeHandle? SslHandle(SslStream stream)
    {
        try
        {
            return SecurityContext(stream) is SafeHandle { IsInvalid: false, IsClosed: false } handle && SslHandleType?.IsInstanceOfType(handle) == true ? handle : null;
        }
        catch (Exception e) when (e is MissingMemberException or TypeLoadException or InvalidCastException)
        {
            return null;
        }
    }

    private static object? SecurityContext(SslStream stream) =>
        SecurityContextField is { } field ? field.GetValue(stream) : throw new MissingFieldException(nameof(SslStream), "_securityContext");

    /// <summary>SSL_ctrl of the libssl this process has mapped (the runtime's), or 0.</summary>
    private static nint Resolve() =>
        OperatingSystem.IsLinux() && MappedLibSsl() is { } path && NativeLibrary.TryLoad(path, out var library) && NativeLibrary.TryGetExport(library, "SSL_ctrl", out var export)
            ? export
            : 0;

    /// <summary>The path of the libssl in /proc/self/maps (loaded by the runtime for the first handshake), or null.</summary>
    internal static string? MappedLibSsl() => MappedLibrary("libssl.so");

    /// <summary>The path of the first mapped library whose file name starts with <paramref name="prefix"/>, or null.</summary>
    internal static string? MappedLibrary(string prefix)
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/maps"))
            {
                var slash = line.IndexOf('/', StringComparison.Ordinal);
                if (slash >= 0 && Path.GetFileName(line.AsSpan(slash)).StartsWith(prefix, StringComparison.Ordinal))
                {
                    return line[slash..];
                }
            }
        }
        catch (IOException)
        {
        }

        return null;
    }
}
