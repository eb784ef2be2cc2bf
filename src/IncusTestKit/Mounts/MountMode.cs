namespace IncusTestKit.Mounts;

/// <summary>How a host folder is mounted into a sandbox.</summary>
public enum MountMode
{
    /// <summary>
    /// The host folder read-only underneath and a writable overlay on top, inside the sandbox: the sandbox can change
    /// everything, the changes stay in the sandbox, and the host folder is never modified. Containers only.
    /// </summary>
    Overlay,

    /// <summary>The host folder, read-only: writes inside fail with "Read-only file system".</summary>
    ReadOnly,

    /// <summary>The host folder itself, writable: changes made inside land on the host.</summary>
    ReadWrite,
}
