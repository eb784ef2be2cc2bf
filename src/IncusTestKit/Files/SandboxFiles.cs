using System.Text;
using IncusTestKit.Client;
using IncusTestKit.Errors;
using IncusTestKit.Exec;
using IncusTestKit.Sandboxes;

namespace IncusTestKit.Files;

/// <summary>
/// The files of one sandbox, through the Incus files API: works on running and stopped sandboxes, needs nothing
/// inside the image, and streams large files instead of holding them in memory. Every path is absolute, as seen
/// inside the sandbox; a missing one gives <see cref="PathNotFoundException"/>. Get it from <see cref="Sandbox.Files"/>.
/// </summary>
public sealed class SandboxFiles
{
    // Enough requests in flight to hide the per-request latency, few enough not to crowd the daemon.
    private const int Concurrency = 8;
    private const int MaxSymlinkHops = 40;
    private const UnixFileMode DefaultFileMode = (UnixFileMode)0x1A4; // 0644
    private const UnixFileMode DefaultDirectoryMode = (UnixFileMode)0x1ED; // 0755

    private readonly Sandbox _sandbox;

    internal SandboxFiles(Sandbox sandbox) => _sandbox = sandbox;

    private IncusClient Incus => _sandbox.Client.Incus;

    private string Name => _sandbox.Name;

    /// <summary>Reads a whole file as UTF-8 text (invalid sequences become U+FFFD). Symlinks are followed. For exact bytes, use <see cref="ReadFileBytesAsync"/>.</summary>
    /// <param name="path">The absolute path in the sandbox.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <exception cref="PathNotFoundException">The file does not exist.</exception>
    /// <exception cref="IncusTestKitException">The path is a directory.</exception>
    public async Task<string> ReadFileAsync(string path, CancellationToken cancellationToken = default)
    {
        var bytes = await ReadFileBytesAsync(path, cancellationToken).ConfigureAwait(false);
        return Encoding.UTF8.GetString(bytes);
    }

    /// <summary>Reads a whole file's exact bytes. Symlinks are followed. For large files, prefer <see cref="OpenReadAsync"/>.</summary>
    /// <param name="path">The absolute path in the sandbox.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <exception cref="PathNotFoundException">The file does not exist.</exception>
    /// <exception cref="IncusTestKitException">The path is a directory.</exception>
    public async Task<byte[]> ReadFileBytesAsync(string path, CancellationToken cancellationToken = default)
    {
        cancellationToken = _sandbox.Client.CallToken(cancellationToken);
        ValidatePath(path);
        using var response = await OpenFileAsync(path, cancellationToken).ConfigureAwait(false);
        return await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Opens a file for reading as it streams from the daemon, without holding it in memory. Symlinks are followed.
    /// Dispose the stream when done; it is not seekable.
    /// </summary>
    /// <param name="path">The absolute path in the sandbox.</param>
    /// <param name="cancellationToken">Cancels opening (pass a token to each read for the rest).</param>
    /// <exception cref="PathNotFoundException">The file does not exist.</exception>
    /// <exception cref="IncusTestKitException">The path is a directory.</exception>
    public async Task<Stream> OpenReadAsync(string path, CancellationToken cancellationToken = default)
    {
        cancellationToken = _sandbox.Client.CallToken(cancellationToken);
        ValidatePath(path);
        var response = await OpenFileAsync(path, cancellationToken).ConfigureAwait(false);
        try
        {
            return new ResponseStream(response, await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false));
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <summary>Writes text (as UTF-8) to a file, creating or replacing it.</summary>
    /// <param name="path">The absolute path in the sandbox; its directory must exist.</param>
    /// <param name="content">The text.</param>
    /// <param name="mode">The permission bits. Default: 0644 for a new file, and an existing file keeps its own.</param>
    /// <param name="owner">The owner: <c>user</c>, <c>uid</c>, <c>user:group</c> or <c>uid:gid</c>, looked up in the sandbox.
    /// Default: root for a new file, and an existing file keeps its own.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <exception cref="PathNotFoundException">The file's directory does not exist.</exception>
    /// <exception cref="IncusTestKitException">The path is a directory, or the owner is unknown in the sandbox.</exception>
    public Task WriteFileAsync(string path, string content, UnixFileMode? mode = null, string? owner = null, CancellationToken cancellationToken = default)
    {
        cancellationToken = _sandbox.Client.CallToken(cancellationToken);
        ArgumentNullException.ThrowIfNull(content);
        return WriteCoreAsync(path, () => new ByteArrayContent(Encoding.UTF8.GetBytes(content)), mode, owner, cancellationToken);
    }

    /// <summary>Writes exact bytes to a file, creating or replacing it.</summary>
    /// <param name="path">The absolute path in the sandbox; its directory must exist.</param>
    /// <param name="content">The bytes.</param>
    /// <param name="mode">The permission bits. Default: 0644 for a new file, and an existing file keeps its own.</param>
    /// <param name="owner">The owner: <c>user</c>, <c>uid</c>, <c>user:group</c> or <c>uid:gid</c>, looked up in the sandbox.
    /// Default: root for a new file, and an existing file keeps its own.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <exception cref="PathNotFoundException">The file's directory does not exist.</exception>
    /// <exception cref="IncusTestKitException">The path is a directory, or the owner is unknown in the sandbox.</exception>
    public Task WriteFileAsync(string path, ReadOnlyMemory<byte> content, UnixFileMode? mode = null, string? owner = null, CancellationToken cancellationToken = default) =>
        WriteCoreAsync(path, () => new ReadOnlyMemoryContent(content), mode, owner, _sandbox.Client.CallToken(cancellationToken));

    /// <summary>Writes a stream, read from its current position to its end, to a file, creating or replacing it. The stream
    /// is sent as it is read (never held in memory) and is not disposed.</summary>
    /// <param name="path">The absolute path in the sandbox; its directory must exist.</param>
    /// <param name="content">The stream to send.</param>
    /// <param name="mode">The permission bits. Default: 0644 for a new file, and an existing file keeps its own.</param>
    /// <param name="owner">The owner: <c>user</c>, <c>uid</c>, <c>user:group</c> or <c>uid:gid</c>, looked up in the sandbox.
    /// Default: root for a new file, and an existing file keeps its own.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <exception cref="PathNotFoundException">The file's directory does not exist.</exception>
    /// <exception cref="IncusTestKitException">The path is a directory, or the owner is unknown in the sandbox.</exception>
    public Task WriteFileAsync(string path, Stream content, UnixFileMode? mode = null, string? owner = null, CancellationToken cancellationToken = default)
    {
        cancellationToken = _sandbox.Client.CallToken(cancellationToken);
        ArgumentNullException.ThrowIfNull(content);
        return WriteCoreAsync(path, () => new UnownedStreamContent(content), mode, owner, cancellationToken);
    }

    /// <summary>Creates a directory; one that already exists is left as it is.</summary>
    /// <param name="path">The absolute path in the sandbox.</param>
    /// <param name="recursive">Also create missing parent directories (like <c>mkdir -p</c>).</param>
    /// <param name="mode">The permission bits of every directory created. Default: 0755.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="PathNotFoundException">The parent does not exist and <paramref name="recursive"/> is false.</exception>
    /// <exception cref="IncusTestKitException">The path (or a parent) exists and is not a directory.</exception>
    public async Task CreateDirectoryAsync(string path, bool recursive = false, UnixFileMode? mode = null, CancellationToken cancellationToken = default)
    {
        cancellationToken = _sandbox.Client.CallToken(cancellationToken);
        path = Normalize(ValidatePath(path));
        var bits = (int)(mode ?? DefaultDirectoryMode);
        var missing = new Stack<string>();
        for (var current = path; current != "/"; current = ParentOf(current))
        {
            var stat = await Incus.Files.TryStatAsync(Name, current, cancellationToken).ConfigureAwait(false);
            if (stat is null)
            {
                missing.Push(current);
                if (!recursive)
                    break;
                continue;
            }
            // A symlink is fine on the way: the daemon resolves it (and says so when it points to a file).
            if (stat.Type == FileType.File)
            {
                throw current == path
                    ? new IncusTestKitException(SandboxErrorCode.OperationFailed, $"Cannot create the directory '{path}' in sandbox '{Name}': a file (not a directory) is already there.")
                    : NotADirectory(current, "create a directory in it");
            }
            break;
        }
        while (missing.TryPop(out var directory))
        {
            try
            {
                await Incus.Files.MkdirAsync(Name, directory, 0, 0, bits, cancellationToken).ConfigureAwait(false);
            }
            catch (PathNotFoundException e) when (!recursive)
            {
                throw new PathNotFoundException(
                    $"Cannot create '{directory}' in sandbox '{Name}': its parent '{ParentOf(directory)}' does not exist. Pass recursive: true to create it too.", e);
            }
        }
    }

    /// <summary>Lists a directory, with each entry's type, size, mode, owner and time, sorted by name. A symlink to a directory is followed.</summary>
    /// <param name="path">The absolute path of the directory in the sandbox.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The entries, without <c>.</c> and <c>..</c>. The daemon gives names only, so this asks once more per entry (several at a time).</returns>
    /// <exception cref="PathNotFoundException">The directory does not exist.</exception>
    /// <exception cref="IncusTestKitException">The path is not a directory.</exception>
    public async Task<IReadOnlyList<FileStat>> ListDirectoryAsync(string path, CancellationToken cancellationToken = default)
    {
        cancellationToken = _sandbox.Client.CallToken(cancellationToken);
        path = Normalize(ValidatePath(path));
        var names = await ListNamesAsync(path, () => NotADirectory(path, "list it"), cancellationToken).ConfigureAwait(false)
            ?? throw new PathNotFoundException($"Directory '{path}' does not exist in sandbox '{Name}'.");
        var stats = new FileStat?[names.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, names.Count), ParallelOptionsFor(cancellationToken), async (i, token) =>
            stats[i] = await Incus.Files.TryStatAsync(Name, Join(path, names[i]), token).ConfigureAwait(false)).ConfigureAwait(false);
        // An entry removed between the listing and its stat is simply gone.
        return stats.OfType<FileStat>().OrderBy(s => s.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>Whether the path exists (a dangling symlink exists).</summary>
    /// <param name="path">The absolute path in the sandbox.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<bool> ExistsAsync(string path, CancellationToken cancellationToken = default)
    {
        cancellationToken = _sandbox.Client.CallToken(cancellationToken);
        ValidatePath(path);
        return await Incus.Files.TryStatAsync(Name, path, cancellationToken).ConfigureAwait(false) is not null;
    }

    /// <summary>Reads what a path is: type, size, mode, owner and modification time. A symlink describes itself (it is not followed).</summary>
    /// <param name="path">The absolute path in the sandbox.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="PathNotFoundException">The path does not exist.</exception>
    public async Task<FileStat> StatAsync(string path, CancellationToken cancellationToken = default)
    {
        cancellationToken = _sandbox.Client.CallToken(cancellationToken);
        ValidatePath(path);
        return await Incus.Files.TryStatAsync(Name, path, cancellationToken).ConfigureAwait(false)
            ?? throw new PathNotFoundException($"Path '{path}' does not exist in sandbox '{Name}'.");
    }

    /// <summary>Removes a file, a symlink (not what it points to) or a directory.</summary>
    /// <param name="path">The absolute path in the sandbox; <c>/</c> is refused.</param>
    /// <param name="recursive">Remove a directory with everything in it; without it, only an empty directory can be removed.</param>
    /// <param name="force">A missing path is not an error.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="PathNotFoundException">The path does not exist and <paramref name="force"/> is false.</exception>
    /// <exception cref="IncusTestKitException">The directory is not empty and <paramref name="recursive"/> is false, or something in it could not be removed.</exception>
    public async Task DeleteAsync(string path, bool recursive = false, bool force = false, CancellationToken cancellationToken = default)
    {
        cancellationToken = _sandbox.Client.CallToken(cancellationToken);
        path = Normalize(ValidatePath(path));
        if (path == "/")
            throw new ArgumentException("Refusing to remove '/': name the directory to remove.", nameof(path));
        var stat = await Incus.Files.TryStatAsync(Name, path, cancellationToken).ConfigureAwait(false);
        if (stat is null)
        {
            if (force)
                return;
            throw new PathNotFoundException($"Path '{path}' does not exist in sandbox '{Name}' (pass force: true to ignore a missing path).");
        }
        if (stat.Type == FileType.Directory && recursive)
        {
            await RemoveTreeAsync(path, cancellationToken).ConfigureAwait(false);
            return;
        }
        try
        {
            await Incus.Files.DeleteAsync(Name, path, cancellationToken).ConfigureAwait(false);
        }
        catch (PathNotFoundException) when (force)
        {
            // Removed by someone else in between: as asked.
        }
        catch (IncusTestKitException e) when (e.Condition == DaemonCondition.DirectoryNotEmpty)
        {
            throw new IncusTestKitException(SandboxErrorCode.OperationFailed,
                $"Directory '{path}' in sandbox '{Name}' is not empty: pass recursive: true to remove it with everything in it.", e);
        }
    }

    /// <summary>
    /// Copies a host file or directory into the sandbox: directories recursively, each file with its permission bits
    /// and streamed (never held in memory). Everything is owned by root in the sandbox. Missing parents of
    /// <paramref name="remotePath"/> are created; existing files are replaced.
    /// </summary>
    /// <remarks>
    /// Safe on a tree something else can change (a folder a sandbox writes to): below <paramref name="localPath"/>
    /// no host symlink is ever followed. A symlink is sent as a symlink with its target as written, so nothing is
    /// read through it, whatever it points to. FIFOs, sockets and devices are skipped (reading one could block or
    /// never end), and so are names that are not valid UTF-8; each skipped entry is listed in the report. A file is
    /// sent as large as it was when opened. Needs a Linux host.
    /// </remarks>
    /// <param name="localPath">The host file or directory (a symlink given here is followed).</param>
    /// <param name="remotePath">The absolute path it gets in the sandbox (the copy itself, not its parent).</param>
    /// <param name="cancellationToken">Cancels the copy (what was copied stays).</param>
    /// <returns>What was copied, and every entry that was skipped, with why.</returns>
    /// <exception cref="PathNotFoundException">The host path does not exist.</exception>
    /// <exception cref="IncusTestKitException">A directory is pushed onto a file, or a file onto a directory, or the file named is a FIFO, socket or device.</exception>
    /// <exception cref="PlatformNotSupportedException">The host is not Linux.</exception>
    public async Task<FileTransferReport> PushAsync(string localPath, string remotePath, CancellationToken cancellationToken = default)
    {
        cancellationToken = _sandbox.Client.CallToken(cancellationToken);
        ArgumentException.ThrowIfNullOrEmpty(localPath);
        remotePath = Normalize(ValidatePath(remotePath));
        HostTree.EnsureSupported();
        var local = Path.GetFullPath(localPath);
        if (!Directory.Exists(local) && !File.Exists(local))
            throw new PathNotFoundException($"The host path '{local}' does not exist: there is nothing to push to sandbox '{Name}'.");
        if (remotePath != "/" && ParentOf(remotePath) != "/")
            await CreateDirectoryAsync(ParentOf(remotePath), recursive: true, cancellationToken: cancellationToken).ConfigureAwait(false);

        if (Directory.Exists(local))
            return await TreePush.PushDirectoryAsync(this, Incus, Name, local, remotePath, cancellationToken).ConfigureAwait(false);
        var existing = await Incus.Files.TryStatAsync(Name, remotePath, cancellationToken).ConfigureAwait(false);
        if (existing?.Type == FileType.Directory)
        {
            throw new IncusTestKitException(SandboxErrorCode.OperationFailed,
                $"Cannot push the file '{local}' to '{remotePath}' in sandbox '{Name}': that is a directory. Name the file's own path (for example '{Join(remotePath, Path.GetFileName(local))}').");
        }
        return await TreePush.PushFileAsync(this, Incus, Name, local, remotePath, replace: existing is not null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Copies a file or directory out of the sandbox to the host: directories recursively, symlinks that stay inside
    /// the copied tree as relative symlinks, each file with its permission bits (masked with the umask) and streamed
    /// to disk. Missing host parents are created; existing host files are replaced.
    /// </summary>
    /// <remarks>
    /// Treats the sandbox as hostile: nothing it controls is written outside <paramref name="localPath"/>.
    /// <list type="bullet">
    /// <item>A symlink whose target, resolved against its own place, leaves the copied tree (an absolute path
    /// elsewhere, <c>..</c> chains that climb out) is never created on the host; it is listed in the report.</item>
    /// <item>No host symlink is followed while writing, including ones already in the destination (they are
    /// replaced) or swapped in meanwhile (the pull fails).</item>
    /// <item>Entry names <c>.</c>, <c>..</c>, empty or with <c>/</c> are refused.</item>
    /// <item>No file grows past the size the daemon listed for it; files whose sizes together exceed the host's
    /// free space (or <see cref="PullOptions.MaxTotalSize"/>) are refused before anything is written; a file that
    /// delivers nothing for <see cref="PullOptions.StallTimeout"/> stops the pull.</item>
    /// <item>Entries listed as empty are never opened. The daemon lists FIFOs, sockets and devices as empty files:
    /// when the sandbox runs it is asked (with <c>find</c>) which they are, and those are skipped and reported;
    /// otherwise they arrive as empty files. Either way none can block or fill the host.</item>
    /// <item>Setuid, setgid and sticky bits never arrive; every mode is masked with the process umask.</item>
    /// </list>
    /// Needs a Linux host.
    /// </remarks>
    /// <param name="remotePath">The absolute path in the sandbox; a symlink given here is followed.</param>
    /// <param name="localPath">The host path the copy gets (the copy itself, not its parent); a symlink there is
    /// replaced when a file is pulled and refused when a folder is.</param>
    /// <param name="options">Size limits and the stall timeout; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the copy (what was copied stays).</param>
    /// <returns>What was copied, and every entry that was skipped or cut short, with why.</returns>
    /// <exception cref="PathNotFoundException">The path does not exist in the sandbox.</exception>
    /// <exception cref="ResourceLimitException">The files would not fit in the host's free space or <see cref="PullOptions.MaxTotalSize"/>.</exception>
    /// <exception cref="SandboxTimeoutException">A file delivered nothing for <see cref="PullOptions.StallTimeout"/>.</exception>
    /// <exception cref="IncusTestKitException">The listing holds an impossible name, or a host path in the way is a
    /// folder where a file goes (or was swapped for a symlink while writing).</exception>
    /// <exception cref="PlatformNotSupportedException">The host is not Linux.</exception>
    public async Task<FileTransferReport> PullAsync(string remotePath, string localPath, PullOptions? options = null, CancellationToken cancellationToken = default)
    {
        cancellationToken = _sandbox.Client.CallToken(cancellationToken);
        remotePath = Normalize(ValidatePath(remotePath));
        ArgumentException.ThrowIfNullOrEmpty(localPath);
        options ??= new PullOptions();
        options.Validate();
        HostTree.EnsureSupported();
        var local = Path.TrimEndingDirectorySeparator(Path.GetFullPath(localPath));
        var (resolved, stat) = await FollowAsync(remotePath, cancellationToken).ConfigureAwait(false);
        return await TreePull.RunAsync(Incus, Name, resolved, stat, local, options, FindSpecialFilesAsync, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Which of these paths, listed by the daemon as empty files, are FIFOs, sockets or devices: only the sandbox can
    /// tell, so it is asked with find. Its answer only decides between skipping an entry and writing it as an empty
    /// file (neither reads it), so a sandbox that lies gains nothing. Empty when it cannot be asked (stopped, no find).
    /// </summary>
    private async Task<IReadOnlySet<string>> FindSpecialFilesAsync(IReadOnlyList<string> paths, CancellationToken cancellationToken)
    {
        if (paths.Count == 0)
            return new HashSet<string>();
        ExecResult result;
        try
        {
            result = await _sandbox.RunCommandAsync(
                ["xargs", "-0", "sh", "-c", "find \"$@\" -prune ! -type f ! -type d ! -type l -print0", "sh"],
                new CommandOptions { Stdin = CommandInput.FromBytes(Encoding.UTF8.GetBytes(string.Join('\0', paths))), Timeout = TimeSpan.FromSeconds(30) },
                cancellationToken).ConfigureAwait(false);
        }
        catch (IncusTestKitException)
        {
            return new HashSet<string>(); // stopped, or no exec: they arrive as empty files
        }
        // A path removed meanwhile makes find (and xargs) fail; what it printed still holds.
        return Encoding.UTF8.GetString(result.StdoutBytes.Span).Split('\0', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
    }

    private async Task WriteCoreAsync(string path, Func<HttpContent> content, UnixFileMode? mode, string? owner, CancellationToken cancellationToken)
    {
        path = ValidatePath(path);
        var (uid, gid) = await FileOwners.ResolveAsync(Incus, Name, owner, cancellationToken).ConfigureAwait(false);
        if (mode is not null || owner is not null)
        {
            // The daemon applies owner and mode only to a new file, so a file that must get them is replaced.
            var existing = await Incus.Files.TryStatAsync(Name, path, cancellationToken).ConfigureAwait(false);
            if (existing?.Type == FileType.Directory)
                throw IsADirectory(path);
            if (existing is not null)
                await DeleteIfPresentAsync(path, cancellationToken).ConfigureAwait(false);
        }
        try
        {
            using var body = content();
            await Incus.Files.WriteAsync(Name, path, body, uid, gid, (int)(mode ?? DefaultFileMode), cancellationToken).ConfigureAwait(false);
        }
        catch (PathNotFoundException e)
        {
            var parent = ParentOf(Normalize(path));
            throw new PathNotFoundException(
                $"Cannot write '{path}' in sandbox '{Name}': its directory '{parent}' does not exist. Create it first: CreateDirectoryAsync(\"{parent}\", recursive: true).", e);
        }
        catch (IncusTestKitException e) when (e.Condition == DaemonCondition.IsADirectory)
        {
            throw IsADirectory(path);
        }
    }

    /// <summary>GETs a file, following symlinks (the daemon answers a symlink with its absolute target).</summary>
    private async Task<HttpResponseMessage> OpenFileAsync(string path, CancellationToken cancellationToken)
    {
        var current = path;
        for (var hops = 0; ; hops++)
        {
            var response = await Incus.Files.OpenAsync(Name, current, cancellationToken).ConfigureAwait(false);
            var type = FilesApi.Header(response, "X-Incus-Type");
            if (type is not ("directory" or "symlink"))
                return response;
            using (response)
            {
                if (type == "directory")
                {
                    throw new IncusTestKitException(SandboxErrorCode.OperationFailed,
                        $"'{path}' in sandbox '{Name}' is a directory, not a file. List it with ListDirectoryAsync, or copy it out with PullAsync.");
                }
                if (hops >= MaxSymlinkHops)
                    throw TooManySymlinks(path);
                current = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>A directory's entry names, following symlinks; null when it does not exist.</summary>
    private async Task<List<string>?> ListNamesAsync(string path, Func<IncusTestKitException> notADirectory, CancellationToken cancellationToken)
    {
        var current = path;
        for (var hops = 0; ; hops++)
        {
            HttpResponseMessage response;
            try
            {
                response = await Incus.Files.OpenAsync(Name, current, cancellationToken).ConfigureAwait(false);
            }
            catch (PathNotFoundException)
            {
                return null;
            }
            using (response)
            {
                switch (FilesApi.Header(response, "X-Incus-Type"))
                {
                    case "directory":
                        return await FilesApi.ReadNamesAsync(response, Name, current, cancellationToken).ConfigureAwait(false);
                    case "symlink" when hops < MaxSymlinkHops:
                        current = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                        break;
                    case "symlink":
                        throw TooManySymlinks(path);
                    default:
                        throw notADirectory();
                }
            }
        }
    }

    /// <summary>Where a path leads once symlinks are followed, and what is there.</summary>
    private async Task<(string Path, FileStat Stat)> FollowAsync(string path, CancellationToken cancellationToken)
    {
        var current = path;
        for (var hops = 0; ; hops++)
        {
            var stat = await Incus.Files.TryStatAsync(Name, current, cancellationToken).ConfigureAwait(false)
                ?? throw new PathNotFoundException($"Path '{current}' does not exist in sandbox '{Name}'" + (current == path ? "." : $" (the symlink '{path}' leads there)."));
            if (stat.Type != FileType.Symlink)
                return (current, stat);
            if (hops >= MaxSymlinkHops)
                throw TooManySymlinks(path);
            current = await ReadLinkAsync(current, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<string> ReadLinkAsync(string path, CancellationToken cancellationToken)
    {
        using var response = await Incus.Files.OpenAsync(Name, path, cancellationToken).ConfigureAwait(false);
        return await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>rm -rf inside when the sandbox runs (one call for any size of tree); the files API, entry by entry, when it is stopped.</summary>
    private async Task RemoveTreeAsync(string path, CancellationToken cancellationToken)
    {
        ExecResult result;
        try
        {
            result = await _sandbox.RunCommandAsync(["rm", "-rf", "--", path], new CommandOptions { Timeout = Timeout.InfiniteTimeSpan }, cancellationToken).ConfigureAwait(false);
        }
        catch (SandboxNotRunningException)
        {
            await RemoveTreeThroughApiAsync(path, cancellationToken).ConfigureAwait(false);
            return;
        }
        if (result.ExitCode == 127)
        {
            await RemoveTreeThroughApiAsync(path, cancellationToken).ConfigureAwait(false);
            return;
        }
        if (!result.Succeeded)
        {
            throw new IncusTestKitException(SandboxErrorCode.OperationFailed,
                $"Removing '{path}' in sandbox '{Name}' failed (rm exited with {result.ExitCode}): {result.Stderr.Trim()}");
        }
    }

    private async Task RemoveTreeThroughApiAsync(string directory, CancellationToken cancellationToken)
    {
        var entries = await ListDirectoryAsync(directory, cancellationToken).ConfigureAwait(false);
        foreach (var sub in entries.Where(e => e.Type == FileType.Directory))
            await RemoveTreeThroughApiAsync(sub.Path, cancellationToken).ConfigureAwait(false);
        await Parallel.ForEachAsync(entries.Where(e => e.Type != FileType.Directory), ParallelOptionsFor(cancellationToken), async (entry, token) =>
            await DeleteIfPresentAsync(entry.Path, token).ConfigureAwait(false)).ConfigureAwait(false);
        await DeleteIfPresentAsync(directory, cancellationToken).ConfigureAwait(false);
    }

    internal async Task DeleteIfPresentAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            await Incus.Files.DeleteAsync(Name, path, cancellationToken).ConfigureAwait(false);
        }
        catch (PathNotFoundException)
        {
            // Already gone.
        }
    }

    /// <summary>Makes sure the directory exists in the sandbox and returns the names already in it.</summary>
    internal async Task<HashSet<string>> EnsureRemoteDirectoryAsync(string local, string remote, int mode, CancellationToken cancellationToken)
    {
        var names = await ListNamesAsync(remote, () => new IncusTestKitException(SandboxErrorCode.OperationFailed,
            $"Cannot push the folder '{local}' to '{remote}' in sandbox '{Name}': that path is a file. Remove it first (DeleteAsync) or choose another path."),
            cancellationToken).ConfigureAwait(false);
        if (names is not null)
            return names.ToHashSet(StringComparer.Ordinal);
        await Incus.Files.MkdirAsync(Name, remote, 0, 0, mode, cancellationToken).ConfigureAwait(false);
        return [];
    }

    internal static ParallelOptions ParallelOptionsFor(CancellationToken cancellationToken) =>
        new() { MaxDegreeOfParallelism = Concurrency, CancellationToken = cancellationToken };

    internal static string ValidatePath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!path.StartsWith('/'))
            throw new ArgumentException($"The sandbox path '{path}' must be absolute (start with '/').", nameof(path));
        if (path.Contains('\0', StringComparison.Ordinal))
            throw new ArgumentException("A sandbox path cannot contain a NUL character.", nameof(path));
        return path;
    }

    internal static string Normalize(string path)
    {
        var trimmed = path.TrimEnd('/');
        return trimmed.Length == 0 ? "/" : trimmed;
    }

    internal static string ParentOf(string path) => path.LastIndexOf('/') is var slash and > 0 ? path[..slash] : "/";

    internal static string Join(string directory, string name) => directory == "/" ? "/" + name : directory + "/" + name;

    private IncusTestKitException NotADirectory(string path, string what) =>
        new(SandboxErrorCode.OperationFailed, $"'{path}' in sandbox '{Name}' is a file, not a directory, so it is not possible to {what}.");

    private IncusTestKitException IsADirectory(string path) =>
        new(SandboxErrorCode.OperationFailed, $"'{path}' in sandbox '{Name}' is a directory, not a file. Write to a path inside it, or remove it first with DeleteAsync(recursive: true).");

    private IncusTestKitException TooManySymlinks(string path) =>
        new(SandboxErrorCode.OperationFailed, $"'{path}' in sandbox '{Name}' leads through more than {MaxSymlinkHops} symlinks (a loop?).");
}
