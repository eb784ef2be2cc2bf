namespace IncusTestKit.Files;

/// <summary>
/// Limits for <see cref="SandboxFiles.PullAsync(string, string, PullOptions?, CancellationToken)"/>. Whatever they
/// say, a pull never writes more of a file than the size the daemon listed for it, never starts when the files
/// together would not fit in the host's free space, and never waits forever on a file that stops delivering.
/// </summary>
public sealed record PullOptions
{
    /// <summary>Files larger than this many bytes are skipped (and listed in <see cref="FileTransferReport.Skipped"/>). Default: no limit.</summary>
    public long? MaxFileSize { get; init; }

    /// <summary>
    /// The pull is refused, before anything is written, when its files together are larger than this many bytes
    /// (as the daemon lists them). Default: no limit beyond the host's free space.
    /// </summary>
    public long? MaxTotalSize { get; init; }

    /// <summary>
    /// How long one file may go without delivering a byte (including the wait for the daemon to open it) before the
    /// pull fails with <see cref="Errors.SandboxTimeoutException"/>. Default: 30 seconds.
    /// </summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(30);

    internal void Validate()
    {
        if (MaxFileSize is < 0)
            throw new ArgumentOutOfRangeException(nameof(MaxFileSize), MaxFileSize, "MaxFileSize cannot be negative.");
        if (MaxTotalSize is < 0)
            throw new ArgumentOutOfRangeException(nameof(MaxTotalSize), MaxTotalSize, "MaxTotalSize cannot be negative.");
        if (StallTimeout <= TimeSpan.Zero && StallTimeout != Timeout.InfiniteTimeSpan)
            throw new ArgumentOutOfRangeException(nameof(StallTimeout), StallTimeout, "StallTimeout must be positive (or Timeout.InfiniteTimeSpan).");
    }
}
