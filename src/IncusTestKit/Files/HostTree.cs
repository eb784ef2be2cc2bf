using System.Runtime.InteropServices;
using System.Text;
using IncusTestKit.Errors;
using Microsoft.Win32.SafeHandles;

namespace IncusTestKit.Files;

/// <summary>
/// A folder tree on the (Linux) host, walked with directory file descriptors so that no symlink is ever followed:
/// every step is an <c>openat</c>/<c>mkdirat</c>/<c>unlinkat</c> relative to the parent's descriptor with
/// <c>O_NOFOLLOW</c>, so a link planted in the tree (or swapped in while we work) is refused or replaced, never
/// written or read through. Only the root is opened by path: that is the path the caller named.
/// </summary>
internal static partial class HostTree
{
    private const int EINTR = 4;
    private const int ENOENT = 2;
    private const int EEXIST = 17;
    private const int ENOTDIR = 20;
    private const int EISDIR = 21;
    private const int ELOOP = 40;

    private const int O_RDONLY = 0;
    private const int O_WRONLY = 1;
    private const int O_CREAT = 0x40;
    private const int O_EXCL = 0x80;
    private const int O_NOCTTY = 0x100;
    private const int O_NONBLOCK = 0x800;
    private const int O_CLOEXEC = 0x80000;
    private const int AT_FDCWD = -100;
    private const int AT_SYMLINK_NOFOLLOW = 0x100;
    private const int AT_EMPTY_PATH = 0x1000;
    private const int AT_REMOVEDIR = 0x200;
    private const int STATX_FIELDS = 0x1 | 0x2 | 0x8 | 0x10 | 0x200; // type, mode, uid, gid, size

    // O_DIRECTORY and O_NOFOLLOW are the only flags whose values differ between Linux architectures.
    private static readonly bool ArmLayout = RuntimeInformation.ProcessArchitecture is Architecture.Arm or Architecture.Arm64 or Architecture.Ppc64le;
    private static readonly int O_DIRECTORY = ArmLayout ? 0x4000 : 0x10000;
    private static readonly int O_NOFOLLOW = ArmLayout ? 0x8000 : 0x20000;

    /// <summary>The process umask, which every mode a pull sets on the host is masked with.</summary>
    public static UnixFileMode Umask { get; } = ReadUmask();

    /// <summary>Pull and push walk the host tree with Linux system calls; other hosts are refused with one clear error.</summary>
    public static void EnsureSupported()
    {
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException("Pulling and pushing files needs a Linux host: the copy is walked with Linux directory descriptors so that no symlink is ever followed.");
    }

    /// <summary>Opens a folder the caller named (symlinks in the path are the caller's and are followed).</summary>
    public static SafeFileHandle OpenNamedDirectory(string path)
    {
        var fd = Retry(() => open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        return fd >= 0 ? new SafeFileHandle(fd, ownsHandle: true) : throw Failure(Marshal.GetLastPInvokeError(), $"open the folder '{path}'");
    }

    /// <summary>Opens a file the caller named for reading (symlinks in the path are followed), without blocking on a FIFO.</summary>
    public static SafeFileHandle OpenNamedFile(string path)
    {
        var fd = Retry(() => open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
        return fd >= 0 ? new SafeFileHandle(fd, ownsHandle: true) : throw Failure(Marshal.GetLastPInvokeError(), $"open '{path}'");
    }

    /// <summary>Opens the child folder <paramref name="name"/>, refusing a symlink or anything that is not a folder.</summary>
    public static SafeFileHandle OpenDirectory(SafeFileHandle parent, string name, string shownAs)
    {
        var fd = Retry(() => openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0));
        if (fd >= 0)
            return new SafeFileHandle(fd, ownsHandle: true);
        var errno = Marshal.GetLastPInvokeError();
        throw errno is ELOOP or ENOTDIR
            ? new IncusTestKitException(SandboxErrorCode.OperationFailed, $"The host path '{shownAs}' is not a folder (a symlink or a file is there, or one was swapped in): refusing to go through it.")
            : Failure(errno, $"open the host folder '{shownAs}'");
    }

    /// <summary>Opens the folder that <paramref name="components"/> lead to from <paramref name="root"/>, one no-follow step at a time.</summary>
    public static SafeFileHandle Walk(SafeFileHandle root, IReadOnlyList<string> components, string rootShownAs)
    {
        var current = OpenDirectory(root, ".", rootShownAs);
        var shown = rootShownAs;
        foreach (var name in components)
        {
            shown = Path.Combine(shown, name);
            using var parent = current;
            current = OpenDirectory(parent, name, shown);
        }
        return current;
    }

    /// <summary>
    /// Makes <paramref name="name"/> a real folder (created 0700, so nobody else can use it before its mode is set):
    /// an existing folder is kept, a symlink or file in the way is removed first.
    /// </summary>
    public static SafeFileHandle EnsureDirectory(SafeFileHandle parent, string name, string shownAs)
    {
        for (var attempt = 0; ; attempt++)
        {
            if (Retry(() => mkdirat(parent, name, 0x1C0)) == 0 || Marshal.GetLastPInvokeError() == EEXIST)
            {
                var fd = Retry(() => openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0));
                if (fd >= 0)
                    return new SafeFileHandle(fd, ownsHandle: true);
                var errno = Marshal.GetLastPInvokeError();
                if (errno is not (ELOOP or ENOTDIR or ENOENT) || attempt >= 3)
                    throw Failure(errno, $"create the host folder '{shownAs}'");
                Remove(parent, name, shownAs);
                continue;
            }
            throw Failure(Marshal.GetLastPInvokeError(), $"create the host folder '{shownAs}'");
        }
    }

    /// <summary>Creates <paramref name="name"/> as a new, empty file (0600 until its mode is set), removing a file or symlink in the way.</summary>
    public static SafeFileHandle CreateFile(SafeFileHandle parent, string name, string shownAs)
    {
        for (var attempt = 0; ; attempt++)
        {
            var fd = Retry(() => openat(parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0x180));
            if (fd >= 0)
                return new SafeFileHandle(fd, ownsHandle: true);
            var errno = Marshal.GetLastPInvokeError();
            if (errno != EEXIST || attempt >= 3)
                throw Failure(errno, $"create the host file '{shownAs}'");
            Remove(parent, name, shownAs);
        }
    }

    /// <summary>Creates a symlink, removing a file or symlink in the way.</summary>
    public static void CreateSymlink(SafeFileHandle parent, string name, string target, string shownAs)
    {
        for (var attempt = 0; ; attempt++)
        {
            if (Retry(() => symlinkat(target, parent, name)) == 0)
                return;
            var errno = Marshal.GetLastPInvokeError();
            if (errno != EEXIST || attempt >= 3)
                throw Failure(errno, $"create the host symlink '{shownAs}'");
            Remove(parent, name, shownAs);
        }
    }

    /// <summary>Sets the permission bits of an open file or folder, masked with the umask; setuid, setgid and sticky never.</summary>
    public static void SetMode(SafeFileHandle handle, UnixFileMode mode, string shownAs)
    {
        var bits = (int)mode & 0x1FF & ~(int)Umask;
        if (Retry(() => fchmod(handle, bits)) != 0)
            throw Failure(Marshal.GetLastPInvokeError(), $"set the mode of '{shownAs}'");
    }

    /// <summary>What <paramref name="name"/> in <paramref name="parent"/> is, without following a symlink; null when it is gone.</summary>
    public static HostEntry? Stat(SafeFileHandle parent, string name) => StatCore(parent, name, AT_SYMLINK_NOFOLLOW);

    /// <summary>What the path the caller named is (a final symlink is not followed); null when it cannot be examined or off Linux.</summary>
    public static HostEntry? Lstat(string path)
    {
        if (!OperatingSystem.IsLinux())
            return null;
        var buffer = new byte[256];
        return Retry(() => statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_FIELDS, buffer)) == 0 ? EntryOf(buffer) : null;
    }

    /// <summary>What an open file is.</summary>
    public static HostEntry Stat(SafeFileHandle handle) =>
        StatCore(handle, "", AT_EMPTY_PATH) ?? throw new IOException("An open file could not be examined.");

    /// <summary>Opens a file for reading without following a symlink and without blocking on a FIFO; null when it is gone.</summary>
    public static SafeFileHandle? OpenRead(SafeFileHandle parent, string name, string shownAs)
    {
        var fd = Retry(() => openat(parent, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0));
        if (fd >= 0)
            return new SafeFileHandle(fd, ownsHandle: true);
        var errno = Marshal.GetLastPInvokeError();
        return errno is ENOENT or ELOOP ? null : throw Failure(errno, $"open the host file '{shownAs}'");
    }

    /// <summary>A symlink's target as written, or null when it is gone or its bytes are not UTF-8.</summary>
    public static string? ReadLink(SafeFileHandle parent, string name)
    {
        var buffer = new byte[4096];
        var length = Retry(() => (int)readlinkat(parent, name, buffer, buffer.Length));
        if (length < 0 || length >= buffer.Length)
            return null;
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(buffer, 0, length);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    /// <summary>The names in an open folder (read through /proc/self/fd, so it is that very folder and no path is re-resolved).</summary>
    public static List<string> ListNames(SafeFileHandle directory) =>
        Directory.EnumerateFileSystemEntries($"/proc/self/fd/{directory.DangerousGetHandle()}")
            .Select(Path.GetFileName).OfType<string>().ToList();

    private static HostEntry? StatCore(SafeFileHandle handle, string name, int flags)
    {
        var buffer = new byte[256];
        if (Retry(() => statx(handle, name, flags, STATX_FIELDS, buffer)) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            return errno is ENOENT or ENOTDIR ? null : throw Failure(errno, $"examine '{name}'");
        }
        return EntryOf(buffer);
    }

    // struct statx is the same on every architecture: stx_uid (u32) at 0x14, stx_gid (u32) at 0x18, stx_mode (u16) at
    // 0x1C, stx_size (u64) at 0x28.
    private static HostEntry EntryOf(byte[] buffer)
    {
        var mode = BitConverter.ToUInt16(buffer, 0x1C);
        var kind = (mode & 0xF000) switch
        {
            0x8000 => HostEntryKind.File,
            0x4000 => HostEntryKind.Directory,
            0xA000 => HostEntryKind.Symlink,
            0x1000 => HostEntryKind.Fifo,
            0xC000 => HostEntryKind.Socket,
            _ => HostEntryKind.Device,
        };
        return new HostEntry(kind, (UnixFileMode)(mode & 0xFFF), (long)BitConverter.ToUInt64(buffer, 0x28),
            BitConverter.ToUInt32(buffer, 0x14), BitConverter.ToUInt32(buffer, 0x18));
    }

    private static void Remove(SafeFileHandle parent, string name, string shownAs)
    {
        if (Retry(() => unlinkat(parent, name, 0)) == 0)
            return;
        var errno = Marshal.GetLastPInvokeError();
        if (errno == ENOENT)
            return;
        throw errno == EISDIR
            ? new IncusTestKitException(SandboxErrorCode.OperationFailed, $"The host path '{shownAs}' is a folder where a file or symlink goes: remove it, or pull to another path.")
            : Failure(errno, $"replace '{shownAs}'");
    }

    private static int Retry(Func<int> call)
    {
        int result;
        while ((result = call()) < 0 && Marshal.GetLastPInvokeError() == EINTR)
        {
        }
        return result;
    }

    private static IncusTestKitException Failure(int errno, string what) =>
        new(SandboxErrorCode.OperationFailed, $"Could not {what} on the host: {Marshal.GetPInvokeErrorMessage(errno)}.");

    private static UnixFileMode ReadUmask()
    {
        // /proc/self/status says it without changing it (umask(2) can only read it by setting it, racing other threads).
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("Umask:", StringComparison.Ordinal))
                    return (UnixFileMode)Convert.ToInt32(line["Umask:".Length..].Trim(), 8);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return (UnixFileMode)0x12; // 022, the usual one
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int openat(SafeFileHandle dirfd, string path, int flags, int mode);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int mkdirat(SafeFileHandle dirfd, string path, int mode);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int unlinkat(SafeFileHandle dirfd, string path, int flags);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int symlinkat(string target, SafeFileHandle dirfd, string path);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint readlinkat(SafeFileHandle dirfd, string path, [Out] byte[] buffer, nint size);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fchmod(SafeFileHandle fd, int mode);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int statx(SafeFileHandle dirfd, string path, int flags, int mask, [Out] byte[] buffer);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int statx(int dirfd, string path, int flags, int mask, [Out] byte[] buffer);
}

/// <summary>What a host entry is.</summary>
internal enum HostEntryKind
{
    File,
    Directory,
    Symlink,
    Fifo,
    Socket,
    Device,
}

/// <summary>A host entry as <c>statx</c> saw it; <see cref="Mode"/> holds the permission, setuid, setgid and sticky bits.</summary>
internal readonly record struct HostEntry(HostEntryKind Kind, UnixFileMode Mode, long Size, uint Uid, uint Gid);
