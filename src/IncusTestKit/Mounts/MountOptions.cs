namespace IncusTestKit.Mounts;

/// <summary>A host folder to mount into a sandbox.</summary>
/// <param name="Source">The folder on the host (where the Incus daemon runs); it must exist. A file works too, except for <see cref="MountMode.Overlay"/>.</param>
/// <param name="Target">The absolute path inside the sandbox, other than <c>/</c>; created when missing.</param>
public sealed record MountOptions(string Source, string Target)
{
    /// <summary>Overlay (the default: the sandbox may write, the host folder never changes), read-only, or read-write.</summary>
    public MountMode Mode { get; init; } = MountMode.Overlay;
}
