using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using IncusTestKit.Sandboxes;

namespace IncusTestKit.Pooling;

/// <summary>
/// The pool key: a hash of everything that makes two sandboxes interchangeable (image, type, limits, profiles,
/// labels, mounts, network, safety settings, project). Two pools share members exactly when their keys are equal.
/// </summary>
internal static class PoolKey
{
    public static string Of(SandboxOptions options, string project, string defaultImage, SandboxType defaultType)
    {
        var text = new StringBuilder("v1\n");
        void Line(string name, object? value) => text.Append(name).Append('=').Append(Convert.ToString(value, CultureInfo.InvariantCulture)).Append('\n');
        Line("project", project);
        Line("image", options.Image ?? defaultImage);
        Line("type", options.Type ?? defaultType);
        Line("cpu", options.Limits.Cpu);
        Line("memory", options.Limits.Memory);
        Line("disk", options.Limits.Disk);
        Line("processes", options.Limits.Processes);
        Line("profiles", string.Join(',', options.Profiles));
        Line("ephemeral", options.Ephemeral);
        Line("network", options.Network);
        Line("deny-setuid", options.DenySetuidFiles);
        Line("allow-unsafe", options.AllowUnsafeProfiles);
        if (options.Target is not null)
            Line("target", options.Target);
        foreach (var (key, value) in options.Labels.OrderBy(l => l.Key, StringComparer.Ordinal))
            Line("label:" + key, value);
        foreach (var mount in options.Mounts)
            Line("mount", $"{Path.GetFullPath(mount.Source)}|{mount.Target}|{mount.Mode}|{mount.AllowDangerousSource}");
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()));
        return Convert.ToHexStringLower(hash, 0, 8);
    }
}
