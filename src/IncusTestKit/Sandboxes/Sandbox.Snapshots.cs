using IncusTestKit.Client.Models;
using IncusTestKit.Errors;
using IncusTestKit.Snapshots;

namespace IncusTestKit.Sandboxes;

public sealed partial class Sandbox
{
    /// <summary>
    /// Takes a snapshot of its root filesystem and configuration (mounts included), running or stopped.
    /// Snapshots go when the sandbox is destroyed.
    /// </summary>
    /// <param name="name">The snapshot's name (no spaces or '/'); null lets Incus pick the next free <c>snapN</c>.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The snapshot taken.</returns>
    /// <exception cref="NameConflictException">The sandbox already has a snapshot of that name.</exception>
    /// <exception cref="InvalidNameException">The name is empty or has a space or '/'.</exception>
    public async Task<SnapshotInfo> CreateSnapshotAsync(string? name = null, CancellationToken cancellationToken = default)
    {
        cancellationToken = _client.CallToken(cancellationToken);
        var instances = _client.Incus.Instances;
        if (name is not null)
        {
            ValidateSnapshotName(name);
            // The daemon reports a duplicate only as a database constraint deep inside the operation: ask first.
            if (await TryGetSnapshotAsync(name, cancellationToken).ConfigureAwait(false) is not null)
                throw new NameConflictException($"Sandbox '{Name}' already has a snapshot named '{name}'. Choose another name, or delete that snapshot first.");
        }
        var context = instances.Context($"Snapshotting sandbox '{Name}'" + (name is null ? "" : $" as '{name}'"), Name) with { Snapshot = name };
        var taken = await instances.CreateSnapshotAsync(Name, new InstanceSnapshotsPost(name), context, cancellationToken).ConfigureAwait(false);
        return SnapshotInfo.From(await instances.GetSnapshotAsync(Name, taken, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// Rolls the sandbox back to a snapshot: files, configuration and mounts as they were. A running sandbox is
    /// stopped and started again by Incus (its processes restart) and its overlay mounts are mounted again; a
    /// stopped one stays stopped.
    /// </summary>
    /// <param name="name">The snapshot.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <exception cref="SnapshotNotFoundException">The sandbox has no snapshot of that name.</exception>
    /// <exception cref="MountException">The restore worked, but an overlay mount could not be mounted again.</exception>
    public async Task RestoreSnapshotAsync(string name, CancellationToken cancellationToken = default)
    {
        cancellationToken = _client.CallToken(cancellationToken);
        ValidateSnapshotName(name);
        await _client.Incus.Instances.RestoreSnapshotAsync(Name, name, cancellationToken).ConfigureAwait(false);
        await RemountOverlaysAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Lists its snapshots, oldest first.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<IReadOnlyList<SnapshotInfo>> ListSnapshotsAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken = _client.CallToken(cancellationToken);
        var snapshots = await _client.Incus.Instances.ListSnapshotsAsync(Name, cancellationToken).ConfigureAwait(false);
        return snapshots.Select(SnapshotInfo.From).OrderBy(s => s.CreatedAt).ThenBy(s => s.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>Deletes a snapshot.</summary>
    /// <param name="name">The snapshot.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <exception cref="SnapshotNotFoundException">The sandbox has no snapshot of that name.</exception>
    public async Task DeleteSnapshotAsync(string name, CancellationToken cancellationToken = default)
    {
        cancellationToken = _client.CallToken(cancellationToken);
        ValidateSnapshotName(name);
        await _client.Incus.Instances.DeleteSnapshotAsync(Name, name, cancellationToken).ConfigureAwait(false);
    }

    private async Task<InstanceSnapshot?> TryGetSnapshotAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            return await _client.Incus.Instances.GetSnapshotAsync(Name, name, cancellationToken).ConfigureAwait(false);
        }
        catch (SnapshotNotFoundException)
        {
            return null;
        }
    }

    private static void ValidateSnapshotName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length == 0 || name is "." or ".." || name.Any(c => c == '/' || char.IsWhiteSpace(c) || char.IsControl(c)))
            throw new InvalidNameException($"'{name}' is not a valid snapshot name: it must be non-empty, without spaces or '/' (for example: before-upgrade).");
    }
}
