using System.Collections.Concurrent;
using System.Diagnostics;
using IncusTestKit.Client;
using IncusTestKit.Client.Models;
using IncusTestKit.Diagnostics;
using IncusTestKit.Errors;
using IncusTestKit.Sharing;

namespace IncusTestKit.Sandboxes;

/// <summary>
/// Destroys leftovers: sandboxes whose <see cref="SandboxLabels.Owner"/> process is provably gone (killed with SIGKILL,
/// or its exit cleanup could not finish), so they would otherwise stay forever. Only instances carrying both our managed
/// label and an owner label are looked at (one filtered list request); an owner on another machine, in another pid
/// namespace, or still alive is never touched, nor is a sandbox made to be kept or handed over with <see cref="Sandbox.KeepAsync"/> (it has no owner label). Each leftover is
/// destroyed through the create-id guarded path, with its snapshots. Sweeps from several processes at once do not get
/// in each other's way: a leftover another sweep destroyed first counts as removed. Never throws but for the caller's
/// own cancellation: failures are logged and returned. With <c>onlyOwner</c>, only that owner's sandboxes are looked at
/// (the crash watcher's sweep after its process died). A shared sandbox (see <see cref="SandboxClient.AcquireSharedAsync"/>)
/// is judged by its leases instead of its creator: it is a leftover only when no holder is left alive.
/// </summary>
internal sealed class LeftoverReaper(SandboxClient client, string? onlyOwner = null)
{
    /// <summary>How long a whole sweep may take.</summary>
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    // A backlog of leftovers is destroyed a few at a time, so a sweep does not crowd out the run that started it.
    private const int Parallelism = 4;

    /// <summary>The daemon-side filter (values are anchored regular expressions): ours, and owned by a process.</summary>
    private static readonly TimeSpan BusyRetry = TimeSpan.FromMilliseconds(250);

    internal const string Filter = $"config.{SandboxLabels.Managed} eq true and config.{SandboxLabels.Owner} eq .+";

    /// <summary>Finds the leftovers and, unless <paramref name="dryRun"/>, destroys them, all within <see cref="Bound"/>.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<ReapResult> SweepAsync(bool dryRun, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(Bound);
        IReadOnlyList<Found> found = [];
        var failed = new ConcurrentDictionary<string, Exception>(StringComparer.Ordinal);
        var reclaimed = new ConcurrentDictionary<string, byte>(StringComparer.Ordinal);
        Exception? error = null;
        try
        {
            found = await FindAsync(bound.Token).ConfigureAwait(false);
            if (!dryRun)
            {
                // Not cancelled as a whole: once the bound is hit, each remaining one fails at once and is reported.
                await Parallel.ForEachAsync(found, new ParallelOptions { MaxDegreeOfParallelism = Parallelism }, async (leftover, _) =>
                {
                    try
                    {
                        if (!await DestroyAsync(leftover, bound.Token).ConfigureAwait(false))
                            reclaimed[leftover.Leftover.Name] = 0;
                    }
                    catch (Exception e) when (!cancellationToken.IsCancellationRequested)
                    {
                        var why = e is OperationCanceledException ? OutOfTime(e) : e;
                        Log.LeftoverNotDestroyed(client.Logger, leftover.Leftover.Name, why);
                        failed[leftover.Leftover.Name] = why;
                    }
                }).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                if (bound.IsCancellationRequested)
                    error = OutOfTime(null);
            }
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            error = e is OperationCanceledException ? OutOfTime(e) : e;
        }
        var leftovers = found.Select(f => f.Leftover).Where(l => !reclaimed.ContainsKey(l.Name)).ToList();
        var elapsed = Log.Milliseconds(Stopwatch.GetElapsedTime(started));
        if (error is null)
            Log.SweepDone(client.Logger, leftovers.Count, failed.Count, elapsed);
        else
            Log.SweepFailed(client.Logger, elapsed, error);
        return new ReapResult { Leftovers = leftovers, Failed = new Dictionary<string, Exception>(failed, StringComparer.Ordinal), Error = error };
    }

    /// <summary>The sandboxes of the client's project whose owner is provably gone, by name.</summary>
    private async Task<IReadOnlyList<Found>> FindAsync(CancellationToken cancellationToken)
    {
        if (OwnerProcess.Current is null)
            return []; // Without /proc no owner can be proven gone.
        var instances = await client.Incus.Instances.ListPlainAsync(Filter, cancellationToken).ConfigureAwait(false);
        var leftovers = new List<Found>();
        var now = DateTimeOffset.UtcNow;
        foreach (var instance in instances)
        {
            var owner = instance.Config.GetValueOrDefault(SandboxLabels.Owner);
            if (IsSharedInUse(instance.Config))
            {
                // Its owner label names only its creator: it is judged by every holder's lease (a crash watcher looks at
                // those its process held), so one that a live process holds is never a leftover.
                if (onlyOwner is not null && owner != onlyOwner && !instance.Config.Any(kv => kv.Key.StartsWith(SharedLabels.LeasePrefix, StringComparison.Ordinal) && kv.Value == onlyOwner))
                    continue;
                if (instance.Config.GetValueOrDefault(SandboxLabels.CreateId) is { Length: > 0 } sharedId
                    && SharedHolders.Of(instance.Config, now).LeftoverReason() is { } unheld)
                {
                    leftovers.Add(new Found(new LeftoverSandbox(instance.Name, unheld), sharedId, owner!));
                }
                continue;
            }
            if (onlyOwner is not null && owner != onlyOwner)
                continue;
            if (instance.Config.GetValueOrDefault(SandboxLabels.CreateId) is { Length: > 0 } createId
                && OwnerProcess.TryParse(owner)?.Verdict() is { } why)
            {
                leftovers.Add(new Found(new LeftoverSandbox(instance.Name, why), createId, owner!));
            }
        }
        return [.. leftovers.OrderBy(l => l.Leftover.Name, StringComparer.Ordinal)];
    }

    /// <summary>Destroys a leftover; false when it turned out not to be one any more.</summary>
    /// <remarks>
    /// Before the delete, the sweep takes the sandbox over with a change guarded by the ETag of its last read: its owner
    /// becomes this process and a pool member is marked claimed. A pool claim racing with the sweep (a member of a dead
    /// creator claimed at this moment) is also an ETag-guarded change, so exactly one of the two lands: either the
    /// claimer keeps its sandbox (the sweep reads it again, sees the new owner and leaves it), or the claimer tries the
    /// next member.
    /// </remarks>
    private async Task<bool> DestroyAsync(Found found, CancellationToken cancellationToken)
    {
        var name = found.Leftover.Name;
        // Judged again on each read: a sandbox kept for inspection lost its owner label after the list was read, a
        // claim or a disown changed its owner, the daemon starting it changed its volatile keys. Busy: the create its
        // dead owner sent is still running (the daemon goes on after the sender died). The sweep's own bound limits
        // both waits.
        var change = await client.Incus.Instances.ChangeConfigAsync(name, instance =>
        {
            if (instance.Config.GetValueOrDefault(SandboxLabels.Owner) != found.Owner
                || instance.Config.GetValueOrDefault(SandboxLabels.CreateId) != found.CreateId
                || (IsSharedInUse(instance.Config) && SharedHolders.Of(instance.Config, DateTimeOffset.UtcNow).LeftoverReason() is null))
            {
                return null; // A process joined the shared sandbox since the list was read.
            }
            var takeOver = new Dictionary<string, string>(StringComparer.Ordinal) { [SandboxLabels.Owner] = OwnerProcess.CurrentValue ?? "" };
            if (instance.Config.ContainsKey(Pooling.PoolLabels.State))
                takeOver[Pooling.PoolLabels.State] = Pooling.PoolLabels.Claimed;
            // Retiring: no process may join it any more; a join that landed first makes this change fail instead.
            if (instance.Config.ContainsKey(SharedLabels.State))
                takeOver[SharedLabels.State] = SharedLabels.Retiring;
            return takeOver;
        }, client.Incus.Instances.Context($"Taking over leftover sandbox '{name}'", name), int.MaxValue, BusyRetry, cancellationToken).ConfigureAwait(false);
        if (change != GuardedChange.Made)
            return change == GuardedChange.Gone; // Gone: another sweep was first.
        Log.DestroyingLeftover(client.Logger, name, found.Leftover.Reason);
        await client.DestroyOwnedInstanceAsync(name, found.CreateId, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// A shared sandbox past its creation and not yet retiring: its users hold leases. One still being created (its
    /// creator's) or retiring (taken by whoever destroys it) is judged by its owner label like any other sandbox.
    /// </summary>
    private static bool IsSharedInUse(IReadOnlyDictionary<string, string> config) =>
        config.ContainsKey(SharedLabels.Key) && config.GetValueOrDefault(SharedLabels.State) == SharedLabels.Ready;

    /// <summary>A leftover as listed: only the instance with this create id and owner is destroyed.</summary>
    private sealed record Found(LeftoverSandbox Leftover, string CreateId, string Owner);

    private static SandboxTimeoutException OutOfTime(Exception? e) =>
        new($"The leftover sweep did not finish within {Bound.TotalSeconds:0} s (the daemon is slow or stopped answering); what is left goes in a later sweep: dotnet isb gc", e);
}
