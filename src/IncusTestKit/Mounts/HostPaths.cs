namespace IncusTestKit.Mounts;

/// <summary>What a host path really is: its target with every symlink resolved.</summary>
internal static class HostPaths
{
    private const int MaxLinks = 40;   // as the kernel's ELOOP limit

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

    private static IEnumerable<string> Split(string path) =>
        path.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".");
}
