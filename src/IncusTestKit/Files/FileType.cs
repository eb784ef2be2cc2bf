namespace IncusTestKit.Files;

/// <summary>What kind of entry a path in a sandbox is.</summary>
public enum FileType
{
    /// <summary>A regular file (the daemon also reports fifos and devices as files).</summary>
    File,

    /// <summary>A directory.</summary>
    Directory,

    /// <summary>A symbolic link (not followed by <see cref="SandboxFiles.StatAsync"/>).</summary>
    Symlink,
}
