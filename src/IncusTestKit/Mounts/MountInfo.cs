namespace IncusTestKit.Mounts;

/// <summary>A host-folder mount IncusTestKit made in a sandbox.</summary>
public sealed record MountInfo
{
    /// <summary>The host folder.</summary>
    public required string Source { get; init; }

    /// <summary>Where it appears inside the sandbox.</summary>
    public required string Target { get; init; }

    /// <summary>Overlay, read-only or read-write.</summary>
    public required MountMode Mode { get; init; }

    /// <summary>The name of the Incus disk device behind it (<c>isb-mount-…</c>), as <c>incus config device list</c> shows it.</summary>
    public required string DeviceName { get; init; }
}
