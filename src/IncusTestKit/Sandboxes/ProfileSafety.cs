using IncusTestKit.Client.Models;
using IncusTestKit.Errors;

namespace IncusTestKit.Sandboxes;

/// <summary>
/// Which instance settings undo an unprivileged container's isolation from the host. A sandbox is only as safe as the
/// profiles it is created with, so they are checked rather than assumed: these keys are refused unless the caller opts in.
/// </summary>
internal static class ProfileSafety
{
    // security.privileged: container root is host root. security.nesting: lets the sandbox mount its own proc/sys
    // and run nested containers, loosening AppArmor. raw.*: handed to LXC, AppArmor, seccomp or QEMU unchecked,
    // including a raw.idmap that maps host uids (root) into the sandbox.
    private static readonly string[] TrueKeys = ["security.privileged", "security.nesting"];
    private static readonly string[] RawKeys = ["raw.lxc", "raw.idmap", "raw.apparmor", "raw.seccomp", "raw.qemu", "raw.qemu.conf"];

    /// <summary>One unsafe setting and the profile that gives it.</summary>
    public sealed record Finding(string Profile, string Key, string Value);

    /// <summary>The unsafe settings in force after applying <paramref name="profiles"/> in order (a later one overrides an earlier one).</summary>
    public static IReadOnlyList<Finding> Check(IEnumerable<Profile> profiles)
    {
        var effective = new Dictionary<string, (string Profile, string Value)>(StringComparer.Ordinal);
        foreach (var profile in profiles)
            foreach (var (key, value) in profile.Config)
                effective[key] = (profile.Name, value);
        return Unsafe(effective.Select(kv => (kv.Value.Profile, kv.Key, kv.Value.Value)));
    }

    /// <summary>The unsafe settings of an instance's expanded config.</summary>
    public static IReadOnlyList<Finding> Check(IReadOnlyDictionary<string, string> expandedConfig) =>
        Unsafe(expandedConfig.Select(kv => ("expanded config", kv.Key, kv.Value)));

    /// <summary>The error for the first finding, naming the profile, the key and both fixes.</summary>
    public static UnsafeProfileException Refusal(IReadOnlyList<Finding> findings, string sandbox)
    {
        var first = findings[0];
        var all = string.Join(", ", findings.Select(f => $"{f.Key}={Shorten(f.Value)} (profile '{f.Profile}')"));
        var unset = first.Profile == "expanded config" ? $"incus config unset {sandbox} {first.Key}" : $"incus profile unset {first.Profile} {first.Key}";
        return new UnsafeProfileException(
            $"Sandbox '{sandbox}' would not be isolated from the host: {all}. " +
            $"Remove the setting ({unset}), use other profiles, or opt in with SandboxOptions.AllowUnsafeProfiles (--allow-unsafe-profiles).",
            first.Profile, first.Key);
    }

    private static List<Finding> Unsafe(IEnumerable<(string Profile, string Key, string Value)> settings) =>
        settings.Where(s => TrueKeys.Contains(s.Key, StringComparer.Ordinal) ? IsTrue(s.Value) : RawKeys.Contains(s.Key, StringComparer.Ordinal) && s.Value.Trim().Length > 0)
            .Select(s => new Finding(s.Profile, s.Key, s.Value))
            .OrderBy(f => f.Key, StringComparer.Ordinal)
            .ToList();

    // Incus reads booleans as "true", "1", "yes" or "on".
    private static bool IsTrue(string value) => value.Trim().ToLowerInvariant() is "true" or "1" or "yes" or "on";

    private static string Shorten(string value)
    {
        var line = value.ReplaceLineEndings(" ").Trim();
        return line.Length <= 40 ? line : line[..37] + "...";
    }
}
