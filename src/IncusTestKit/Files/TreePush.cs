using IncusTestKit.Client;
using IncusTestKit.Errors;
using Microsoft.Win32.SafeHandles;

namespace IncusTestKit.Files;

/// <summary>
/// One push of a host folder: walked through <see cref="HostTree"/> so that no host symlink is ever followed while
/// reading (a link is sent as a link, its target as written; nothing is read through it), and FIFOs, sockets and
/// devices are skipped and reported instead of read (a FIFO would block, a device never end). Each file is sent
/// as large as it was when opened, even if it grows meanwhile.
/// </summary>
internal sealed class TreePush
{
    private readonly SandboxFiles _fs;
    private readonly IncusClient _incus;
    private readonly string _instance;
    private readonly string _localRoot;
    private readonly List<SkippedEntry> _skipped = [];
    private int _directories;
    private int _files;
    private int _links;
    private long _bytes;

    private TreePush(SandboxFiles fs, IncusClient incus, string instance, string localRoot)
    {
        (_fs, _incus, _instance, _localRoot) = (fs, incus, instance, localRoot);
    }

    /// <summary>Pushes the host folder <paramref name="localRoot"/> (absolute; the caller's symlinks in it are followed) to <paramref name="remoteRoot"/>.</summary>
    public static async Task<FileTransferReport> PushDirectoryAsync(SandboxFiles fs, IncusClient incus, string instance, string localRoot, string remoteRoot, CancellationToken cancellationToken)
    {
        var push = new TreePush(fs, incus, instance, localRoot);
        using var root = HostTree.OpenNamedDirectory(localRoot);
        await push.RunAsync(root, remoteRoot, cancellationToken).ConfigureAwait(false);
        return push.Report();
    }

    /// <summary>Pushes one host file the caller named (a symlink given here is followed); a FIFO, socket or device is refused.</summary>
    public static async Task<FileTransferReport> PushFileAsync(SandboxFiles fs, IncusClient incus, string instance, string local, string remote, bool replace, CancellationToken cancellationToken)
    {
        var push = new TreePush(fs, incus, instance, local);
        using var handle = HostTree.OpenNamedFile(local);
        var entry = HostTree.Stat(handle);
        if (entry.Kind != HostEntryKind.File)
        {
            throw new IncusTestKitException(SandboxErrorCode.OperationFailed,
                $"Cannot push '{local}': it is a {Describe(entry.Kind)}, not a regular file (reading it could block or never end). Push a regular file.");
        }
        await push.SendFileAsync(handle, entry, remote, replace, cancellationToken).ConfigureAwait(false);
        return push.Report();
    }

    private async Task RunAsync(SafeFileHandle root, string remoteRoot, CancellationToken cancellationToken)
    {
        // Folders first, parents before children (one listing each, to know what to replace); then every file and
        // symlink of the tree, several at a time.
        var leaves = new List<(string[] Parts, string Remote, bool Replace, string? LinkTarget)>();
        var pending = new Queue<(string[] Parts, string Remote)>();
        pending.Enqueue(([], remoteRoot));
        while (pending.TryDequeue(out var directory))
        {
            using var handle = HostTree.Walk(root, directory.Parts, _localRoot);
            var shown = Shown(directory.Parts);
            var existing = await _fs.EnsureRemoteDirectoryAsync(shown, directory.Remote, (int)HostTree.Stat(handle).Mode, cancellationToken).ConfigureAwait(false);
            _directories++;
            foreach (var name in HostTree.ListNames(handle))
            {
                string[] parts = [.. directory.Parts, name];
                var remote = SandboxFiles.Join(directory.Remote, name);
                switch (HostTree.Stat(handle, name))
                {
                    case null when name.Contains('\uFFFD', StringComparison.Ordinal):
                        Skip(parts, SkipReason.UnreadableName, "skipped: its name is not valid UTF-8, so the files API cannot address it");
                        break;
                    case null:
                        break; // removed since the listing
                    case { Kind: HostEntryKind.Directory }:
                        pending.Enqueue((parts, remote));
                        break;
                    case { Kind: HostEntryKind.Symlink }:
                        if (HostTree.ReadLink(handle, name) is { } target)
                            leaves.Add((parts, remote, existing.Contains(name), target));
                        else
                            Skip(parts, SkipReason.UnreadableName, "skipped: the symlink's target is not valid UTF-8");
                        break;
                    case { Kind: HostEntryKind.File }:
                        leaves.Add((parts, remote, existing.Contains(name), null));
                        break;
                    case var other:
                        Skip(parts, SkipReason.NotARegularFile, $"skipped: it is a {Describe(other.Value.Kind)}; reading it could block or never end");
                        break;
                }
            }
        }
        await Parallel.ForEachAsync(leaves, SandboxFiles.ParallelOptionsFor(cancellationToken), async (leaf, token) =>
        {
            if (leaf.LinkTarget is { } target)
            {
                if (leaf.Replace)
                    await _fs.DeleteIfPresentAsync(leaf.Remote, token).ConfigureAwait(false);
                await _incus.Files.SymlinkAsync(_instance, leaf.Remote, target, token).ConfigureAwait(false);
                Interlocked.Increment(ref _links);
                return;
            }
            using var directory = HostTree.Walk(root, leaf.Parts[..^1], _localRoot);
            using var file = HostTree.OpenRead(directory, leaf.Parts[^1], Shown(leaf.Parts));
            var entry = file is null ? (HostEntry?)null : HostTree.Stat(file);
            if (file is null || entry is not { Kind: HostEntryKind.File })
            {
                Skip(leaf.Parts, SkipReason.ChangedWhileCopying, "skipped: it was a regular file when listed and is no longer one");
                return;
            }
            await SendFileAsync(file, entry.Value, leaf.Remote, leaf.Replace, token).ConfigureAwait(false);
        }).ConfigureAwait(false);
    }

    private async Task SendFileAsync(SafeFileHandle file, HostEntry entry, string remote, bool replace, CancellationToken cancellationToken)
    {
        // The daemon keeps an existing file's mode, so a file that is there already is replaced to carry the local one.
        if (replace)
            await _fs.DeleteIfPresentAsync(remote, cancellationToken).ConfigureAwait(false);
        var stream = new BoundedReadStream(new FileStream(file, FileAccess.Read, 0), entry.Size);
        await using (stream.ConfigureAwait(false))
        {
            using var content = new UnownedStreamContent(stream);
            await _incus.Files.WriteAsync(_instance, remote, content, 0, 0, (int)entry.Mode, cancellationToken).ConfigureAwait(false);
        }
        Interlocked.Increment(ref _files);
        Interlocked.Add(ref _bytes, stream.BytesRead);
    }

    private FileTransferReport Report() => new()
    {
        Files = _files,
        Directories = _directories,
        Symlinks = _links,
        Bytes = _bytes,
        Skipped = _skipped.OrderBy(s => s.Path, StringComparer.Ordinal).ToList(),
    };

    private void Skip(string[] parts, SkipReason reason, string message)
    {
        lock (_skipped)
            _skipped.Add(new SkippedEntry(Shown(parts), reason, message));
    }

    private string Shown(string[] parts) => Path.Combine([_localRoot, .. parts]);

    private static string Describe(HostEntryKind kind) => kind switch
    {
        HostEntryKind.Fifo => "FIFO",
        HostEntryKind.Socket => "socket",
        HostEntryKind.Device => "device",
        _ => kind.ToString().ToLowerInvariant(),
    };
}
