using IncusTestKit.Client.Models;
using IncusTestKit.Errors;
using IncusTestKit.Sandboxes;

namespace IncusTestKit.Mounts;

/// <summary>
/// Keeps a container from making setuid or setgid files, so none can land on the host through a read-write mount.
/// Unshifted, such a file belongs to the sandbox's unprivileged host uid, yet a host user who runs it still becomes
/// that uid, which owns every file of the sandboxes sharing its id map. The kernel cannot tell one mount from another
/// at a syscall, so the rule covers the whole container: a seccomp filter that fails each call able to set either bit
/// (chmod family, and open, creat and mknod with the bit in their mode) with EPERM; openat2 and io_uring, whose modes a
/// filter cannot see, fail with ENOSYS, and programs fall back to openat. The filter is loaded when the container
/// starts, so it is in force only if it was in the config then; setuid binaries already in the image still run.
/// </summary>
internal static class SetuidGuard
{
    public const string ConfigKey = "security.syscalls.deny";

    private const string SetUid = "2048", SetGid = "1024"; // 04000 and 02000: the mode bits, in decimal as LXC wants them.

    // LXC's policy syntax: "syscall action [argument index, value, comparison, mask]"; lines are alternatives.
    private static readonly string Rules = string.Concat(
        new (string Syscall, int ModeArgument)[]
        {
            ("chmod", 1), ("fchmod", 1), ("fchmodat", 2), ("fchmodat2", 2),
            ("open", 2), ("openat", 3), ("creat", 1), ("mknod", 1), ("mknodat", 2),
        }.SelectMany(c => new[] { SetUid, SetGid }.Select(bit => $"{c.Syscall} errno 1 [{c.ModeArgument},{bit},SCMP_CMP_MASKED_EQ,{bit}]\n")))
        + "openat2 errno 38\nio_uring_setup errno 38\n";

    private static readonly string Marker = Rules[..Rules.IndexOf('\n', StringComparison.Ordinal)];

    /// <summary>The deny list to set: <paramref name="current"/> (from the profiles, say) with the guard's rules after it.</summary>
    public static string Merge(string? current) =>
        string.IsNullOrWhiteSpace(current) ? Rules
        : current.Contains(Marker, StringComparison.Ordinal) ? current
        : current.TrimEnd('\n') + "\n" + Rules;

    /// <summary>The deny list in force after <paramref name="profiles"/> (the last one that sets it wins).</summary>
    public static string? FromProfiles(IEnumerable<Profile> profiles) =>
        profiles.LastOrDefault(p => p.Config.ContainsKey(ConfigKey))?.Config[ConfigKey];

    /// <summary>Whether a container started with <paramref name="expandedConfig"/> runs under the guard.</summary>
    public static bool Guards(IReadOnlyDictionary<string, string> expandedConfig) =>
        expandedConfig.GetValueOrDefault(ConfigKey)?.Contains(Marker, StringComparison.Ordinal) == true && !IsReplaced(expandedConfig);

    /// <summary>Whether the config replaces the deny list: an allow list or a raw policy (raw.seccomp is refused unless the caller opted in).</summary>
    public static bool IsReplaced(IReadOnlyDictionary<string, string> expandedConfig) =>
        !string.IsNullOrWhiteSpace(expandedConfig.GetValueOrDefault("security.syscalls.allow"))
        || !string.IsNullOrWhiteSpace(expandedConfig.GetValueOrDefault("raw.seccomp"));

    /// <summary>The error for a container whose settings replace the guard's seccomp rules.</summary>
    public static MountException Replaced(string sandbox) => new(
        $"Sandbox '{sandbox}' needs a seccomp deny list that keeps it from making setuid files on the host through its read-write mount, " +
        "and its profiles replace the deny list (security.syscalls.allow or raw.seccomp). Use other profiles, or an overlay or read-only mount.");

    /// <summary>The error for a read-write mount asked of a running container that started without the guard.</summary>
    public static MountException NotInForce(string sandbox, string source) => new(
        $"A read-write mount of '{source}' needs sandbox '{sandbox}' to run under a rule that keeps it from making setuid and setgid files, " +
        $"and '{sandbox}' started without it (the rule is loaded at start). Stop the sandbox and mount it (the rule is added and works from the next start), " +
        "create the sandbox with this mount or with SandboxOptions.DenySetuidFiles (--deny-setuid), or use an overlay or read-only mount.");
}
