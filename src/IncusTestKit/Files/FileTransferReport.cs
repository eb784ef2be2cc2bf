namespace IncusTestKit.Files;

/// <summary>What a push or pull copied, and every entry it left out (or cut short) with the reason.</summary>
public sealed record FileTransferReport
{
    /// <summary>Regular files written.</summary>
    public int Files { get; init; }

    /// <summary>Folders created or reused.</summary>
    public int Directories { get; init; }

    /// <summary>Symlinks created.</summary>
    public int Symlinks { get; init; }

    /// <summary>File bytes written.</summary>
    public long Bytes { get; init; }

    /// <summary>Entries that were not copied, or not whole, each with why; empty when everything arrived.</summary>
    public IReadOnlyList<SkippedEntry> Skipped { get; init; } = [];
}

/// <summary>An entry a push or pull left out, or copied only in part.</summary>
/// <param name="Path">The entry's path where it came from: in the sandbox for a pull, on the host for a push.</param>
/// <param name="Reason">Why, for code.</param>
/// <param name="Message">Why, for people.</param>
public sealed record SkippedEntry(string Path, SkipReason Reason, string Message);

/// <summary>Why a push or pull left an entry out.</summary>
public enum SkipReason
{
    /// <summary>A symlink whose target (resolved against the link's own place) is outside the copied tree: it is never created on the host.</summary>
    SymlinkOutsideTree,

    /// <summary>A FIFO, socket or device: reading it could block forever or never end.</summary>
    NotARegularFile,

    /// <summary>Larger than <see cref="PullOptions.MaxFileSize"/>.</summary>
    TooLarge,

    /// <summary>Its name (or a symlink's target) is not valid UTF-8, so the files API cannot address it.</summary>
    UnreadableName,

    /// <summary>
    /// It changed between the listing and the copy: replaced by another kind of entry (left out), or grown (only
    /// the size it was listed with was copied).
    /// </summary>
    ChangedWhileCopying,
}
