using System.Net.Security;
using System.Runtime.InteropServices;

namespace PipeChat.Transport.Tls;

/// <summary>
/// Gives back the memory .NET's two memory BIOs of a connection kept from its handshake. SslStream on
/// OpenSSL moves every TLS record through a read and a write memory BIO; a memory BIO keeps the
/// largest buffer it ever held (the handshake's flights: the client's hello, our certificate chain
/// and session tickets, a few KB per connection) for the connection's life. Once the handshake is
/// done and both are empty, each gets a fresh, empty buffer through OpenSSL's documented
/// <c>BIO_set_mem_buf</c> (<c>BIO_ctrl(BIO_C_SET_BUF_MEM)</c>, the old one freed as the BIO owns it);
/// records after that grow it only to their own size. The SSL handle is found as for
/// <see cref="OpenSslReleaseBuffers"/>; a BIO that is not a memory BIO, or not empty, is left alone, and
/// so is everything when libssl or libcrypto is not mapped.
/// </summary>
internal static unsafe class OpenSslHandshakeBuffers
{
    private const int BioTypeMem = 0x0401;      // BIO_TYPE_MEM
    private const int BioCtrlPending = 10;      // BIO_CTRL_PENDING
    private const int BioCSetBufMem = 114;      // BIO_C_SET_BUF_MEM
    private const int BioCGetBufMemPtr = 115;   // BIO_C_GET_BUF_MEM_PTR
    private const nint BioClose = 1;            // BIO_CLOSE

    private static Api? s_api;
    private static int s_resolved;

    /// <summary>Gives back both BIOs' buffers of <paramref name="stream"/>'s SSL object when they are empty; false when nothing could be done.</summary>
    /// <remarks>Call once the handshake completed and before the connection reads or writes.</remarks>
    public static bool TryRelease(SslStream stream)
    {
        if (ResolvedApi() is not { } api || OpenSslReleaseBuffers.SslHandle(stream) is not { } handle)
        {
            return false;
        }

        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            var ssl = handle.DangerousGetHandle();
            var read = Release(api, api.GetReadBio(ssl));
            var write = Release(api, api.GetWriteBio(ssl));
            return read && write;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// The bytes both BIOs of <paramref name="stream"/> have allocated (BUF_MEM's max), or -1 where it
    /// cannot be known (for tests).
    /// </summary>
    internal static long Capacity(SslStream stream)
    {
        if (ResolvedApi() is not { } api || OpenSslReleaseBuffers.SslHandle(stream) is not { } handle)
        {
            return -1;
        }

        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            var ssl = handle.DangerousGetHandle();
            long total = 0;
            foreach (var bio in (ReadOnlySpan<nint>)[api.GetReadBio(ssl), api.GetWriteBio(ssl)])
            {
                nint memory = 0;
                if (bio == 0 || api.MethodType(bio) != BioTypeMem || api.Ctrl(bio, BioCGetBufMemPtr, 0, (nint)(&memory)) <= 0 || memory == 0)
                {
                    return -1;
                }

                total += (long)((BufMem*)memory)->Max;
            }

            return total;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    // Resolved once; a race resolves it twice to the same functions.
    private static Api? ResolvedApi()
    {
        if (Volatile.Read(ref s_resolved) == 0)
        {
            s_api = Api.Resolve();
            Volatile.Write(ref s_resolved, 1);
        }

        return s_api;
    }

    private static bool Release(Api api, nint bio)
    {
        if (bio == 0 || api.MethodType(bio) != BioTypeMem || api.Ctrl(bio, BioCtrlPending, 0, 0) != 0)
        {
            return false;
        }

        var empty = api.BufMemNew();
        if (empty == 0)
        {
            return false;
        }

        if (api.Ctrl(bio, BioCSetBufMem, BioClose, empty) <= 0)
        {
            api.BufMemFree(empty);
            return false;
        }

        return true;
    }

    /// <summary>OpenSSL's BUF_MEM: length, data, max (allocated), flags.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct BufMem
    {
        public nuint Length;
        public nint Data;
        public nuint Max;
        public nuint Flags;
    }

    private sealed class Api
    {
        public delegate* unmanaged<nint, nint> GetReadBio { get; private init; }

        public delegate* unmanaged<nint, nint> GetWriteBio { get; private init; }

        public delegate* unmanaged<nint, int> MethodType { get; private init; }

        public delegate* unmanaged<nint, int, nint, nint, nint> Ctrl { get; private init; }

        public delegate* unmanaged<nint> BufMemNew { get; private init; }

        public delegate* unmanaged<nint, void> BufMemFree { get; private init; }

        /// <summary>The functions in the libssl and libcrypto this process has mapped (the runtime's), or null.</summary>
        public static Api? Resolve()
        {
            if (!OperatingSystem.IsLinux()
                || OpenSslReleaseBuffers.MappedLibSsl() is not { } sslPath
                || OpenSslReleaseBuffers.MappedLibrary("libcrypto.so") is not { } cryptoPath
                || !NativeLibrary.TryLoad(sslPath, out var ssl)
                || !NativeLibrary.TryLoad(cryptoPath, out var crypto))
            {
                return null;
            }

            return NativeLibrary.TryGetExport(ssl, "SSL_get_rbio", out var rbio)
                && NativeLibrary.TryGetExport(ssl, "SSL_get_wbio", out var wbio)
                && NativeLibrary.TryGetExport(crypto, "BIO_method_type", out var type)
                && NativeLibrary.TryGetExport(crypto, "BIO_ctrl", out var ctrl)
                && NativeLibrary.TryGetExport(crypto, "BUF_MEM_new", out var create)
                && NativeLibrary.TryGetExport(crypto, "BUF_MEM_free", out var free)
                ? new Api
                {
                    GetReadBio = (delegate* unmanaged<nint, nint>)rbio,
                    GetWriteBio = (delegate* unmanaged<nint, nint>)wbio,
                    MethodType = (delegate* unmanaged<nint, int>)type,
                    Ctrl = (delegate* unmanaged<nint, int, nint, nint, nint>)ctrl,
                    BufMemNew = (delegate* unmanaged<nint>)create,
                    BufMemFree = (delegate* unmanaged<nint, void>)free,
                }
                : null;
        }
    }
}
