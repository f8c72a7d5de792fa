using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace PipeChat.Servers;

/// <summary>
/// Binds a Unix domain stream socket at a path: a live server there is "address in use"; a stale
/// socket file (nothing listens: connect is refused) is replaced; anything that is not a socket
/// is never touched.
/// </summary>
internal static partial class UnixListener
{
    /// <summary>sun_path holds 108 bytes, the terminating NUL included.</summary>
    public const int MaxPathBytes = 107;

    public static Socket Bind(string path, int backlog)
    {
        var endPoint = new UnixDomainSocketEndPoint(path);
        for (var attempt = 0; ; attempt++)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                socket.Bind(endPoint);
                socket.Listen(backlog);
                return socket;
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse && attempt == 0 && IsStale(path))
            {
                socket.Dispose();
                File.Delete(path); // A stale socket file: a server that died without cleaning up.
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
    }

    /// <summary>Whether <paramref name="path"/> is a socket file nobody listens on.</summary>
    public static bool IsStale(string path)
    {
        if (!IsSocketFile(path))
        {
            return false;
        }

        // Non-blocking: a live listener with a full backlog answers EAGAIN at once instead of
        // making this connect wait.
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { Blocking = false };
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
            return false; // Someone answers: in use.
        }
        catch (SocketException e)
        {
            // ECONNREFUSED: a socket file without a listener. Anything else (EAGAIN: a live listener
            // with a full backlog, EACCES) counts as in use.
            return e.SocketErrorCode == SocketError.ConnectionRefused;
        }
    }

    /// <summary>Removes our socket file at exit, if it is still a socket file.</summary>
    public static void RemoveSocketFile(string path)
    {
        try
        {
            if (IsSocketFile(path))
            {
                File.Delete(path);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Gone already, or the directory is not ours to change: nothing more to do.
        }
    }

    /// <summary>lstat's file type is a socket (statx: the same layout on every Linux architecture).</summary>
    public static bool IsSocketFile(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return false; // Unknown: never delete what may not be a socket.
        }

        const int AtFdCwd = -100;
        const int AtSymlinkNoFollow = 0x100;
        const uint StatxType = 0x1;
        const int ModeOffset = 28;
        const ushort TypeMask = 0xF000;
        const ushort Socket = 0xC000;
        Span<byte> buffer = stackalloc byte[256];
        if (statx(AtFdCwd, path, AtSymlinkNoFollow, StatxType, ref MemoryMarshal.GetReference(buffer)) != 0)
        {
            return false;
        }

        var mode = MemoryMarshal.Read<ushort>(buffer[ModeOffset..]);
        return (mode & TypeMask) == Socket;
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int statx(int dirfd, string path, int flags, uint mask, ref byte buffer);
}
