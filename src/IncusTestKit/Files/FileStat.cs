namespace IncusTestKit.Files;

/// <summary>What a path in a sandbox is: type, size, mode, owner and modification time (a symlink describes itself, not its target).</summary>
public sealed record FileStat
{
    /// <summary>The absolute path in the sandbox.</summary>
    public required string Path { get; init; }

    /// <summary>The last component of <see cref="Path"/>.</summary>
    public string Name => Path == "/" ? "/" : Path[(Path.LastIndexOf('/') + 1)..];

    /// <summary>File, directory or symlink.</summary>
    public required FileType Type { get; init; }

    /// <summary>The size in bytes of a file; 0 for directories and symlinks.</summary>
    public required long Size { get; init; }

    /// <summary>The permission bits (for example 0644 is <c>UserRead | UserWrite | GroupRead | OtherRead</c>).</summary>
    public required UnixFileMode Mode { get; init; }

    /// <summary>The owner's uid, as numbered inside the sandbox.</summary>
    public required int Uid { get; init; }

    /// <summary>The group's gid, as numbered inside the sandbox.</summary>
    public required int Gid { get; init; }

    /// <summary>When the content last changed.</summary>
    public required DateTimeOffset ModifiedAt { get; init; }
}
