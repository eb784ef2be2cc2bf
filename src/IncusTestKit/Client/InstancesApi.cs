using System.Text.Json;
using IncusTestKit.Client.Models;
using IncusTestKit.Errors;

namespace IncusTestKit.Client;

/// <summary>Instances and their state (<c>/1.0/instances</c>).</summary>
internal sealed class InstancesApi(IncusClient client)
{
    public static string PathOf(string name) => "/1.0/instances/" + Uri.EscapeDataString(name);

    public IncusErrorContext Context(string what, string name) => client.Context(what) with { Instance = name };

    /// <summary>Sends the create request, on the cluster member or group <paramref name="target"/> when set; the returned
    /// operation makes the instance (wait for it with <see cref="OperationsApi.WaitAsync"/>).</summary>
    public Task<Operation> StartCreateAsync(InstancesPost body, string? target, IncusErrorContext context, CancellationToken cancellationToken) =>
        client.StartOperationAsync(HttpMethod.Post,
            client.Scoped("/1.0/instances" + (target is null ? "" : "?target=" + Uri.EscapeDataString(target))),
            IncusTransport.Json(body, IncusJsonContext.Default.InstancesPost), context, cancellationToken);

    public Task<Instance> GetAsync(string name, CancellationToken cancellationToken) =>
        client.GetAsync(client.Scoped(PathOf(name) + "?recursion=1"), IncusJsonContext.Default.Instance,
            Context($"Reading sandbox '{name}'", name), cancellationToken);

    /// <summary>The instance without its state: config and status only, the cheapest full read.</summary>
    public Task<Instance> GetPlainAsync(string name, CancellationToken cancellationToken) =>
        client.GetAsync(client.Scoped(PathOf(name)), IncusJsonContext.Default.Instance,
            Context($"Reading sandbox '{name}'", name), cancellationToken);

    public Task<InstanceState> GetStateAsync(string name, CancellationToken cancellationToken) =>
        client.GetAsync(client.Scoped(PathOf(name) + "/state"), IncusJsonContext.Default.InstanceState,
            Context($"Reading the state of sandbox '{name}'", name), cancellationToken);

    /// <summary>Instances with their state, optionally narrowed by a daemon-side filter expression.</summary>
    public Task<List<Instance>> ListAsync(string? filter, CancellationToken cancellationToken)
    {
        var path = "/1.0/instances?recursion=2" + (filter is null ? "" : "&filter=" + Uri.EscapeDataString(filter));
        return client.GetAsync(client.Scoped(path), IncusJsonContext.Default.ListInstance,
            client.Context("Listing sandboxes"), cancellationToken);
    }

    /// <summary>Instances without their state (config and status only: no helper forked per instance), optionally filtered.</summary>
    public Task<List<Instance>> ListPlainAsync(string? filter, CancellationToken cancellationToken)
    {
        var path = "/1.0/instances?recursion=1" + (filter is null ? "" : "&filter=" + Uri.EscapeDataString(filter));
        return client.GetAsync(client.Scoped(path), IncusJsonContext.Default.ListInstance, client.Context("Listing sandboxes"), cancellationToken);
    }

    public Task<Operation> ChangeStateAsync(string name, InstanceStatePut body, IncusErrorContext context, CancellationToken cancellationToken) =>
        client.RunOperationAsync(HttpMethod.Put, client.Scoped(PathOf(name) + "/state"),
            IncusTransport.Json(body, IncusJsonContext.Default.InstanceStatePut), context, cancellationToken);

    public Task<Operation> DeleteAsync(string name, CancellationToken cancellationToken) =>
        client.RunOperationAsync(HttpMethod.Delete, client.Scoped(PathOf(name)), null,
            Context($"Destroying sandbox '{name}'", name), cancellationToken);

    /// <summary>Merges config keys and devices (sync); a config key set to "" is removed. PATCH cannot remove a device: see <see cref="UpdateAsync"/>.</summary>
    public Task PatchAsync(string name, InstancePatch body, IncusErrorContext context, CancellationToken cancellationToken) =>
        PatchAsync(name, body, context, ifMatch: null, cancellationToken);

    /// <summary>
    /// As above, only if the instance is as it was read with <paramref name="ifMatch"/> (see <see cref="GetWithEtagAsync"/>):
    /// the daemon checks the ETag and applies the change under the instance's lock, so of two changes made from the
    /// same read exactly one succeeds. The other gets <see cref="DaemonCondition.ChangedSinceRead"/>.
    /// </summary>
    public Task PatchAsync(string name, InstancePatch body, IncusErrorContext context, string? ifMatch, CancellationToken cancellationToken) =>
        client.RequestAsync(HttpMethod.Patch, client.Scoped(PathOf(name)), IncusTransport.Json(body, IncusJsonContext.Default.InstancePatch), context,
            ifMatch, cancellationToken);

    /// <summary>
    /// Reads the instance, lets <paramref name="change"/> rewrite its writable fields and PUTs them back with the
    /// ETag, so a concurrent change is never overwritten: on a mismatch it reads again and retries.
    /// <paramref name="change"/> returns null when there is nothing to do.
    /// </summary>
    public Task UpdateAsync(string name, Func<Instance, InstancePut?> change, IncusErrorContext context, CancellationToken cancellationToken) =>
        GuardedAsync(name, instance => change(instance) is { } body
            ? etag => client.RunOperationAsync(HttpMethod.Put, client.Scoped(PathOf(name)), IncusTransport.Json(body, IncusJsonContext.Default.InstancePut),
                context, etag, cancellationToken)
            : null, attempts: 5, busyPause: null, cancellationToken);

    /// <summary>
    /// Merges config keys only if nobody changed the instance since it was read: <paramref name="decide"/> judges each
    /// fresh read and returns the keys to set (null: nothing to change), which are sent guarded by that read's ETag (see
    /// <see cref="PatchAsync(string, InstancePatch, IncusErrorContext, string?, CancellationToken)"/>). A change landing
    /// in between makes the daemon refuse this one: the instance is read and judged again, up to
    /// <paramref name="attempts"/> reads in all. With <paramref name="busyPause"/>, an instance another operation holds
    /// is read again after that pause too. What <paramref name="decide"/> throws ends the call.
    /// </summary>
    /// <returns>Whether the change was made, declined by <paramref name="decide"/>, or the instance is gone.</returns>
    public async Task<GuardedChange> ChangeConfigAsync(string name, Func<Instance, Dictionary<string, string>?> decide, IncusErrorContext context,
        int attempts, TimeSpan? busyPause, CancellationToken cancellationToken)
    {
        try
        {
            var made = await GuardedAsync(name, instance => decide(instance) is { } config
                ? etag => PatchAsync(name, new InstancePatch { Config = config, Description = instance.Description }, context, etag, cancellationToken)
                : null, attempts, busyPause, cancellationToken).ConfigureAwait(false);
            return made ? GuardedChange.Made : GuardedChange.Declined;
        }
        catch (SandboxNotFoundException)
        {
            return GuardedChange.Gone;
        }
    }

    /// <summary>
    /// The read-judge-write loop of a change that must not overwrite another: reads the instance with its ETag, asks
    /// <paramref name="prepare"/> for the write (null: nothing to do), and sends it with that ETag; a write refused
    /// because the instance changed since the read (or, with <paramref name="busyPause"/>, because another operation
    /// holds it) starts over on a new read, up to <paramref name="attempts"/> reads in all.
    /// </summary>
    /// <returns>True when the write was made, false when there was nothing to do.</returns>
    private async Task<bool> GuardedAsync(string name, Func<Instance, Func<string?, Task>?> prepare, int attempts, TimeSpan? busyPause,
        CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var (instance, etag) = await GetWithEtagAsync(name, cancellationToken).ConfigureAwait(false);
            if (prepare(instance) is not { } write)
                return false;
            try
            {
                await write(etag).ConfigureAwait(false);
                return true;
            }
            catch (IncusTestKitException e) when (e.Condition == DaemonCondition.ChangedSinceRead && attempt < attempts)
            {
                // Changed between the read and the write: judged again on a new read.
            }
            catch (IncusTestKitException e) when (e.Condition == DaemonCondition.Busy && busyPause is { } pause && attempt < attempts)
            {
                await Task.Delay(pause, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The instance (config and status, no state) with the ETag to make a change conditional on it.</summary>
    public async Task<(Instance Instance, string? ETag)> GetWithEtagAsync(string name, CancellationToken cancellationToken)
    {
        var response = await client.RequestAsync(HttpMethod.Get, client.Scoped(PathOf(name)), null, Context($"Reading sandbox '{name}'", name), cancellationToken)
            .ConfigureAwait(false);
        return (response.Metadata.Deserialize(IncusJsonContext.Default.Instance)!, response.ETag);
    }

    public IncusErrorContext SnapshotContext(string what, string name, string snapshot) => Context(what, name) with { Snapshot = snapshot };

    private static string SnapshotPathOf(string name, string snapshot) => PathOf(name) + "/snapshots/" + Uri.EscapeDataString(snapshot);

    /// <summary>Takes a snapshot and returns its name (the daemon picks one when <paramref name="body"/> has none).</summary>
    public async Task<string> CreateSnapshotAsync(string name, InstanceSnapshotsPost body, IncusErrorContext context, CancellationToken cancellationToken)
    {
        var operation = await client.RunOperationAsync(HttpMethod.Post, client.Scoped(PathOf(name) + "/snapshots"),
            IncusTransport.Json(body, IncusJsonContext.Default.InstanceSnapshotsPost), context, cancellationToken).ConfigureAwait(false);
        if (body.Name is not null)
            return body.Name;
        var url = operation.Resources?.GetValueOrDefault("instances_snapshots")?.FirstOrDefault()
            ?? throw new IncusTestKitException(SandboxErrorCode.OperationFailed, $"{context.What}: the daemon did not say which snapshot it made.");
        return Uri.UnescapeDataString(url[(url.LastIndexOf('/') + 1)..].Split('?')[0]);
    }

    public Task<InstanceSnapshot> GetSnapshotAsync(string name, string snapshot, CancellationToken cancellationToken) =>
        client.GetAsync(client.Scoped(SnapshotPathOf(name, snapshot)), IncusJsonContext.Default.InstanceSnapshot,
            SnapshotContext($"Reading snapshot '{snapshot}' of sandbox '{name}'", name, snapshot), cancellationToken);

    public Task<List<InstanceSnapshot>> ListSnapshotsAsync(string name, CancellationToken cancellationToken) =>
        client.GetAsync(client.Scoped(PathOf(name) + "/snapshots?recursion=1"), IncusJsonContext.Default.ListInstanceSnapshot,
            Context($"Listing the snapshots of sandbox '{name}'", name), cancellationToken);

    public Task<Operation> DeleteSnapshotAsync(string name, string snapshot, CancellationToken cancellationToken) =>
        client.RunOperationAsync(HttpMethod.Delete, client.Scoped(SnapshotPathOf(name, snapshot)), null,
            SnapshotContext($"Deleting snapshot '{snapshot}' of sandbox '{name}'", name, snapshot), cancellationToken);

    /// <summary>Rolls the instance back to a snapshot; a running instance is stopped and started again by the daemon.</summary>
    public Task<Operation> RestoreSnapshotAsync(string name, string snapshot, CancellationToken cancellationToken) =>
        client.RunOperationAsync(HttpMethod.Put, client.Scoped(PathOf(name)),
            IncusTransport.Json(new InstanceRestorePut(snapshot), IncusJsonContext.Default.InstanceRestorePut),
            SnapshotContext($"Restoring snapshot '{snapshot}' of sandbox '{name}'", name, snapshot), cancellationToken);
}

/// <summary>What <see cref="InstancesApi.ChangeConfigAsync"/> came to.</summary>
internal enum GuardedChange
{
    /// <summary>The change was made on the instance as it was read.</summary>
    Made,
    /// <summary>The judge found nothing to change.</summary>
    Declined,
    /// <summary>The instance no longer exists.</summary>
    Gone,
}
