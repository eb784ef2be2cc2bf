namespace IncusTestKit.Mounts;

/// <summary>A host folder to mount into a sandbox.</summary>
/// <param name="Source">The folder on the host (where the Incus daemon runs); it must exist. A file works too, except for <see cref="MountMode.Overlay"/>.</param>
/// <param name="Target">The absolute path inside the sandbox, other than <c>/</c>; created when missing.</param>
public sealed record MountOptions(string Source, string Target)
{
    /// <summary>Overlay (the default: the sandbox may write, the host folder never changes), read-only, or read-write.</summary>
    public MountMode Mode { get; init; } = MountMode.Overlay;

    /// <summary>
    /// Mount it even though it is, or contains, a system folder or the daemon's own state: <c>/</c>, <c>/etc</c>,
    /// <c>/boot</c>, <c>/dev</c>, <c>/proc</c>, <c>/sys</c>, <c>/run</c>, <c>/var/lib/incus</c>, the folder of the daemon's
    /// socket, or a folder with a socket in it. Those are refused by default (symlinks in
    /// <see cref="Source"/> are resolved first), because a sandbox given them can reach the host. Default: false.
    /// </summary>
    public bool AllowDangerousSource { get; init; }
}
