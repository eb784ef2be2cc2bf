using System.Buffers;
using System.Collections.Concurrent;
using IncusTestKit.Client;
using IncusTestKit.Errors;
using Microsoft.Win32.SafeHandles;

namespace IncusTestKit.Files;

/// <summary>
/// One pull: lists the sandbox tree first (no symlink followed), checks it against the limits and the host's free
/// space, then writes it under the host path through <see cref="HostTree"/>, so nothing the sandbox controls can
/// make the host follow a link. Links that leave the tree, and entries that change kind meanwhile, are skipped and
/// reported.
/// </summary>
internal sealed class TreePull
{
    private const int CopyBufferSize = 81920;

    private readonly IncusClient _incus;
    private readonly string _instance;
    private readonly string _remoteRoot;
    private readonly string _hostParent;
    private readonly PullOptions _options;
    private readonly List<(string[] Parts, UnixFileMode Mode)> _directories = [];
    private readonly List<(string[] Parts, string Remote, long Size, UnixFileMode Mode)> _files = [];
    private readonly List<(string[] Parts, string Remote)> _links = [];
    private readonly ConcurrentBag<SkippedEntry> _skipped = [];
    private int _filesWritten;
    private int _linksWritten;
    private long _bytes;

    private TreePull(IncusClient incus, string instance, string remoteRoot, string hostParent, PullOptions options)
    {
        (_incus, _instance, _remoteRoot, _hostParent, _options) = (incus, instance, remoteRoot, hostParent, options);
    }

    /// <summary>
    /// Copies <paramref name="remoteRoot"/> (already resolved, described by <paramref name="rootStat"/>) to
    /// <paramref name="localPath"/> (absolute). <paramref name="findSpecialFiles"/> says which of the paths it is
    /// given (entries listed as empty files) are FIFOs, sockets or devices.
    /// </summary>
    public static async Task<FileTransferReport> RunAsync(IncusClient incus, string instance, string remoteRoot, FileStat rootStat, string localPath, PullOptions options,
        Func<IReadOnlyList<string>, CancellationToken, Task<IReadOnlySet<string>>> findSpecialFiles, CancellationToken cancellationToken)
    {
        var hostParent = Path.GetDirectoryName(localPath);
        var rootName = Path.GetFileName(localPath);
        if (hostParent is null || rootName.Length == 0 || rootName is "." or "..")
            throw new ArgumentException($"The host path '{localPath}' does not name a file or folder to create; name the copy itself (for example '{Path.Combine(localPath, "out")}').", nameof(localPath));
        var pull = new TreePull(incus, instance, remoteRoot, hostParent, options);
        if (rootStat.Type == FileType.Directory)
            await pull.ListAsync(rootName, rootStat, cancellationToken).ConfigureAwait(false);
        else
            pull.AddFile([rootName], remoteRoot, rootStat);
        var special = await findSpecialFiles(pull._files.Where(f => f.Size == 0).Select(f => f.Remote).ToList(), cancellationToken).ConfigureAwait(false);
        foreach (var remote in pull._files.Select(f => f.Remote).Where(special.Contains))
            pull.Skip(remote, SkipReason.NotARegularFile, "skipped: it is a FIFO, socket or device (listed by the daemon as an empty file); reading it could block or never end");
        pull._files.RemoveAll(f => special.Contains(f.Remote));
        pull.CheckTotal();
        await pull.WriteAsync(rootStat.Type == FileType.Directory, cancellationToken).ConfigureAwait(false);
        return new FileTransferReport
        {
            Files = pull._filesWritten,
            Directories = pull._directories.Count,
            Symlinks = pull._linksWritten,
            Bytes = pull._bytes,
            Skipped = pull._skipped.OrderBy(s => s.Path, StringComparer.Ordinal).ToList(),
        };
    }

    /// <summary>
    /// Where a symlink found in <paramref name="linkDirectory"/> leads, as a relative target for the host copy, or
    /// null when it leaves <paramref name="root"/>. The target is resolved lexically (the daemon already answers
    /// with it made absolute), so <c>..</c> chains that climb out count as outside.
    /// </summary>
    internal static string? RelativeInside(string root, string linkDirectory, string target)
    {
        var resolved = Resolve(target, target.StartsWith('/') ? [] : Resolve(linkDirectory, []));
        var rootParts = Resolve(root, []);
        if (resolved.Count < rootParts.Count || !resolved.Take(rootParts.Count).SequenceEqual(rootParts, StringComparer.Ordinal))
            return null;
        var from = Resolve(linkDirectory, []);
        var common = 0;
        while (common < from.Count && common < resolved.Count && from[common] == resolved[common])
            common++;
        var parts = Enumerable.Repeat("..", from.Count - common).Concat(resolved.Skip(common)).ToList();
        return parts.Count == 0 ? "." : string.Join('/', parts);
    }

    private static List<string> Resolve(string path, List<string> start)
    {
        var parts = new List<string>(start);
        foreach (var part in path.Split('/'))
        {
            if (part is "" or ".")
                continue;
            if (part == "..")
            {
                if (parts.Count > 0)
                    parts.RemoveAt(parts.Count - 1);
            }
            else
            {
                parts.Add(part);
            }
        }
        return parts;
    }

    private async Task ListAsync(string rootName, FileStat rootStat, CancellationToken cancellationToken)
    {
        _directories.Add(([rootName], rootStat.Mode));
        var pending = new Queue<(string Remote, string[] Parts)>();
        pending.Enqueue((_remoteRoot, [rootName]));
        while (pending.TryDequeue(out var directory))
        {
            var names = await ListNamesAsync(directory.Remote, cancellationToken).ConfigureAwait(false);
            if (names is null)
                continue;
            var stats = new FileStat?[names.Count];
            await Parallel.ForEachAsync(Enumerable.Range(0, names.Count), SandboxFiles.ParallelOptionsFor(cancellationToken), async (i, token) =>
                stats[i] = await _incus.Files.TryStatAsync(_instance, SandboxFiles.Join(directory.Remote, names[i]), token).ConfigureAwait(false)).ConfigureAwait(false);
            for (var i = 0; i < names.Count; i++)
            {
                var remote = SandboxFiles.Join(directory.Remote, names[i]);
                string[] parts = [.. directory.Parts, names[i]];
                switch (stats[i])
                {
                    case null when names[i].Contains('\uFFFD', StringComparison.Ordinal):
                        // The daemon's JSON turns bytes that are not UTF-8 into U+FFFD; that name addresses nothing.
                        Skip(remote, SkipReason.UnreadableName, "skipped: its name is not valid UTF-8, so the files API cannot address it");
                        break;
                    case null:
                        break; // removed since the listing: gone, as in the sandbox
                    case { Type: FileType.Directory } stat:
                        _directories.Add((parts, stat.Mode));
                        pending.Enqueue((remote, parts));
                        break;
                    case { Type: FileType.Symlink }:
                        _links.Add((parts, remote));
                        break;
                    case var stat:
                        AddFile(parts, remote, stat);
                        break;
                }
            }
        }
    }

    /// <summary>A folder's names, without following a symlink; null (and reported) when it is no longer a folder.</summary>
    private async Task<List<string>?> ListNamesAsync(string remote, CancellationToken cancellationToken)
    {
        using var response = await _incus.Files.OpenAsync(_instance, remote, cancellationToken).ConfigureAwait(false);
        if (FilesApi.Header(response, "X-Incus-Type") == "directory")
            return await FilesApi.ReadNamesAsync(response, _instance, remote, cancellationToken).ConfigureAwait(false);
        Skip(remote, SkipReason.ChangedWhileCopying, "skipped: it was a folder when listed and is no longer one");
        return null;
    }

    private void AddFile(string[] parts, string remote, FileStat stat)
    {
        if (stat.Size > _options.MaxFileSize)
            Skip(remote, SkipReason.TooLarge, $"skipped: {Bytes(stat.Size)} is over the limit of {Bytes(_options.MaxFileSize.Value)} per file");
        else
            _files.Add((parts, remote, stat.Size, stat.Mode));
    }

    private void CheckTotal()
    {
        var total = _files.Sum(f => f.Size);
        if (total > _options.MaxTotalSize)
        {
            throw new ResourceLimitException(
                $"Pulling '{_remoteRoot}' from sandbox '{_instance}' would write {Bytes(total)}, over the limit of {Bytes(_options.MaxTotalSize.Value)}; nothing was written. Raise the limit, or pull a smaller part of the tree.");
        }
        Directory.CreateDirectory(_hostParent);
        var free = new DriveInfo(_hostParent).AvailableFreeSpace;
        if (total > free)
        {
            throw new ResourceLimitException(
                $"Pulling '{_remoteRoot}' from sandbox '{_instance}' would write {Bytes(total)}, but '{_hostParent}' has only {Bytes(free)} free; nothing was written. "
                + "Free some space, or pull a smaller part of the tree (a sparse file counts at its full size).");
        }
    }

    private async Task WriteAsync(bool isDirectory, CancellationToken cancellationToken)
    {
        using var parent = HostTree.OpenNamedDirectory(_hostParent);
        if (isDirectory)
        {
            var rootName = _directories[0].Parts[0];
            if (HostTree.Stat(parent, rootName) is { Kind: not HostEntryKind.Directory } existing)
            {
                throw new IncusTestKitException(SandboxErrorCode.OperationFailed,
                    $"Cannot pull the folder '{_remoteRoot}' to '{Shown([rootName])}': a {existing.Kind.ToString().ToLowerInvariant()} is there. Remove it, or pull to another path.");
            }
            // Parents before children; each one reached from the named parent without following a link.
            foreach (var (parts, _) in _directories)
            {
                using var above = HostTree.Walk(parent, parts[..^1], _hostParent);
                using var _ = HostTree.EnsureDirectory(above, parts[^1], Shown(parts));
            }
        }

        var leaves = _files.Select(f => (f.Parts, f.Remote, File: ((long, UnixFileMode)?)(f.Size, f.Mode)))
            .Concat(_links.Select(l => (l.Parts, l.Remote, File: ((long, UnixFileMode)?)null)));
        await Parallel.ForEachAsync(leaves, SandboxFiles.ParallelOptionsFor(cancellationToken), async (leaf, token) =>
        {
            if (leaf.File is var (size, mode))
                await PullFileAsync(parent, leaf.Parts, leaf.Remote, size, mode, token).ConfigureAwait(false);
            else
                await PullSymlinkAsync(parent, leaf.Parts, leaf.Remote, token).ConfigureAwait(false);
        }).ConfigureAwait(false);

        // Modes last, deepest first: a read-only folder would refuse the files still to be written into it.
        foreach (var (parts, mode) in Enumerable.Reverse(_directories))
        {
            using var directory = HostTree.Walk(parent, parts, _hostParent);
            HostTree.SetMode(directory, mode, Shown(parts));
        }
    }

    private async Task PullFileAsync(SafeFileHandle parent, string[] parts, string remote, long listedSize, UnixFileMode listedMode, CancellationToken cancellationToken)
    {
        if (listedSize == 0)
        {
            // Never opened: the daemon lists FIFOs, sockets and devices as empty files, and opening a FIFO blocks it
            // (those the sandbox named are skipped already).
            using var empty = CreateFile(parent, parts);
            HostTree.SetMode(empty, listedMode, Shown(parts));
            Interlocked.Increment(ref _filesWritten);
            return;
        }

        using var watchdog = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        watchdog.CancelAfter(_options.StallTimeout);
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);
        try
        {
            using var response = await _incus.Files.OpenAsync(_instance, remote, watchdog.Token).ConfigureAwait(false);
            if (FilesApi.Header(response, "X-Incus-Type") != "file")
            {
                Skip(remote, SkipReason.ChangedWhileCopying, "skipped: it was a file when listed and is no longer one");
                return;
            }
            var mode = FilesApi.StatOf(remote, response).Mode;
            var announced = response.Content.Headers.ContentLength;
            using var file = CreateFile(parent, parts);
            var body = await response.Content.ReadAsStreamAsync(watchdog.Token).ConfigureAwait(false);
            await using (body.ConfigureAwait(false))
            {
                // Never more than the size the file was listed with: a file that grows (or never ends) cannot fill the host.
                var offset = 0L;
                while (offset < listedSize)
                {
                    watchdog.CancelAfter(_options.StallTimeout);
                    var read = await body.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, listedSize - offset)), watchdog.Token).ConfigureAwait(false);
                    if (read == 0)
                        break;
                    await RandomAccess.WriteAsync(file, buffer.AsMemory(0, read), offset, cancellationToken).ConfigureAwait(false);
                    offset += read;
                }
                Interlocked.Add(ref _bytes, offset);
            }
            if (announced > listedSize)
            {
                Skip(remote, SkipReason.ChangedWhileCopying,
                    $"cut short: it grew from {Bytes(listedSize)} to {Bytes(announced.Value)} while being pulled; only the first {Bytes(listedSize)} were copied");
            }
            HostTree.SetMode(file, mode, Shown(parts));
            Interlocked.Increment(ref _filesWritten);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new SandboxTimeoutException(
                $"'{remote}' in sandbox '{_instance}' delivered nothing for {_options.StallTimeout.TotalSeconds:0.#} s, so the pull was stopped (a FIFO or a file held open by the sandbox?). "
                + "Raise PullOptions.StallTimeout (--stall-timeout) if the daemon is just slow.", innerException: e);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task PullSymlinkAsync(SafeFileHandle parent, string[] parts, string remote, CancellationToken cancellationToken)
    {
        // The daemon answers a symlink with its target made absolute (lexically, against the link's folder).
        using var response = await _incus.Files.OpenAsync(_instance, remote, cancellationToken).ConfigureAwait(false);
        if (FilesApi.Header(response, "X-Incus-Type") != "symlink")
        {
            Skip(remote, SkipReason.ChangedWhileCopying, "skipped: it was a symlink when listed and is no longer one");
            return;
        }
        var target = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (RelativeInside(_remoteRoot, SandboxFiles.ParentOf(remote), target) is not { } relative)
        {
            Skip(remote, SkipReason.SymlinkOutsideTree, $"skipped: it points to '{target}', outside '{_remoteRoot}', so it is not created on the host");
            return;
        }
        using var directory = HostTree.Walk(parent, parts[..^1], _hostParent);
        HostTree.CreateSymlink(directory, parts[^1], relative, Shown(parts));
        Interlocked.Increment(ref _linksWritten);
    }

    private SafeFileHandle CreateFile(SafeFileHandle parent, string[] parts)
    {
        using var directory = HostTree.Walk(parent, parts[..^1], _hostParent);
        return HostTree.CreateFile(directory, parts[^1], Shown(parts));
    }

    private void Skip(string remote, SkipReason reason, string message) => _skipped.Add(new SkippedEntry(remote, reason, message));

    private string Shown(string[] parts) => Path.Combine([_hostParent, .. parts]);

    private static string Bytes(long count) => count switch
    {
        >= 1L << 30 => $"{count / (double)(1L << 30):0.#} GiB",
        >= 1L << 20 => $"{count / (double)(1L << 20):0.#} MiB",
        >= 1L << 10 => $"{count / 1024.0:0.#} KiB",
        _ => $"{count} bytes",
    };
}
