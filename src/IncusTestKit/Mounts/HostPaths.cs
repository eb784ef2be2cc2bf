using System.Runtime.InteropServices;

namespace IncusTestKit.Mounts;

/// <summary>What a host path really is: its target with every symlink resolved, and its owner and type (lstat).</summary>
internal static class HostPaths
{
    private const int MaxLinks = 40;   // as the kernel's ELOOP limit
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxBasicStats = 0x7ff;
    private const int TypeMask = 0xF000;
    private const int TypeSocket = 0xC000;

    /// <summary>The owner, group and mode (type and permission bits) of a path, without following a final symlink.</summary>
    public readonly record struct Status(uint Uid, uint Gid, int Mode)
    {
        public bool IsSocket => (Mode & TypeMask) == TypeSocket;
    }

    /// <summary>
    /// <paramref name="path"/> (absolute) with every symlink in it resolved, as the kernel will when it is mounted:
    /// what the mount really exposes is checked, not the name it was given.
    /// </summary>
    /// <exception cref="IOException">More than 40 links, as the kernel's ELOOP.</exception>
    public static string ResolveLinks(string path)
    {
        var pending = new List<string>(Split(path));
        var current = "/";
        var links = 0;
        while (pending.Count > 0)
        {
            var part = pending[0];
            pending.RemoveAt(0);
            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? "/";
                continue;
            }
            var next = Path.Join(current, part);
            if (new FileInfo(next).LinkTarget is not { } target)
            {
                current = next;
                continue;
            }
            if (++links > MaxLinks)
                throw new IOException($"'{path}' has more than {MaxLinks} symbolic links in a chain.");
            pending.InsertRange(0, Split(target));
            if (target.StartsWith('/'))
                current = "/";
        }
        return current;
    }

    /// <summary>The status of <paramref name="path"/> itself (a symlink is not followed); null when it cannot be read.</summary>
    public static Status? Lstat(string path)
    {
        if (!OperatingSystem.IsLinux() || Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxBasicStats, out var buffer) != 0)
            return null;
        return new Status(buffer.Uid, buffer.Gid, buffer.Mode);
    }

    private static IEnumerable<string> Split(string path) =>
        path.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".");

    // struct statx has the same 256-byte layout on every architecture (unlike struct stat), so it is read directly.
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    private struct StatxBuffer
    {
        [FieldOffset(20)] public uint Uid;
        [FieldOffset(24)] public uint Gid;
        [FieldOffset(28)] public ushort Mode;
    }

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
#pragma warning disable SYSLIB1054 // LibraryImport would need unsafe code in this package; the struct is blittable.
    private static extern int Statx(int dirfd, string path, int flags, uint mask, out StatxBuffer buffer);
#pragma warning restore SYSLIB1054
}
