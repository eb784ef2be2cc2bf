using System.Diagnostics;
using System.Globalization;
using IncusTestKit.Client;
using IncusTestKit.Client.Models;
using IncusTestKit.Diagnostics;
using IncusTestKit.Errors;
using IncusTestKit.Pooling;
using IncusTestKit.Sharing;

namespace IncusTestKit.Sandboxes;

public sealed partial class SandboxClient
{
    private static readonly TimeSpan SharedPoll = TimeSpan.FromMilliseconds(250);
    private const int SharedConflicts = 5;
    private const int ReleaseAttempts = 20;
    private static readonly TimeSpan ReleaseBusyPause = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Gets a lease on the one sandbox of this configuration that every process asking for it shares, creating it when
    /// there is none. The sandbox is named from a hash of the configuration (see <see cref="SharedSandboxOptions.NamePrefix"/>),
    /// so the daemon's unique names decide a race: of N processes asking at once exactly one creates it, the others wait
    /// for it to be ready and join. Joining and leaving are changes to its config guarded by its ETag, and the last lease
    /// released destroys it; a joiner racing with that either keeps it or gets a new one.
    /// </summary>
    /// <remarks>
    /// <para>Reuse trades isolation for speed: every user sees what the others did in the sandbox, at the same time.</para>
    /// <para>A sandbox past its <see cref="SharedSandboxOptions.TimeToLive"/>, stopped, or being destroyed is never joined:
    /// the next one of the configuration is made instead.</para>
    /// <para>After a SIGKILL the holder's lease counts as released: the leftover sweep (<see cref="ReapLeftoversAsync"/>,
    /// <c>dotnet isb gc</c>, the crash watcher) destroys a shared sandbox only when no holder is alive.</para>
    /// </remarks>
    /// <param name="options">What to create; <see cref="SandboxOptions.Name"/> must not be set. Everything else is part of
    /// the configuration's hash, as for a <see cref="SandboxPool"/>.</param>
    /// <param name="shared">Its time-to-live and name prefix; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the wait or the create (a half-made sandbox is deleted).</param>
    /// <returns>The lease, with the running sandbox; dispose it to release it.</returns>
    /// <exception cref="ArgumentException">The options name the sandbox or turn auto-destroy off.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The time-to-live is not positive.</exception>
    /// <exception cref="InvalidNameException">The name prefix or a label key is invalid.</exception>
    /// <exception cref="SandboxTimeoutException">Another process's create of it did not finish in time.</exception>
    /// <exception cref="NameConflictException">An instance that is no shared sandbox of this configuration has its name.</exception>
    /// <exception cref="IncusTestKitException">The create failed (see <see cref="CreateAsync(SandboxOptions?, CancellationToken)"/>).</exception>
    public async Task<SharedSandboxLease> AcquireSharedAsync(SandboxOptions? options = null, SharedSandboxOptions? shared = null,
        CancellationToken cancellationToken = default)
    {
        cancellationToken = CallToken(cancellationToken);
        options ??= new SandboxOptions();
        shared ??= new SharedSandboxOptions();
        if (options.Name is not null)
            throw new ArgumentException("A shared sandbox is named from its configuration: leave SandboxOptions.Name unset (set SharedSandboxOptions.NamePrefix instead).", nameof(options));
        if (!options.AutoDestroy)
            throw new ArgumentException("A shared sandbox goes when its last user releases it: leave SandboxOptions.AutoDestroy on.", nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(shared.TimeToLive, TimeSpan.Zero, nameof(shared));
        SandboxLabels.Validate(options.Labels);
        var key = PoolKey.Of(options, Project, DefaultImage, DefaultType);
        var stem = $"{shared.NamePrefix}-{key}-";
        SandboxNames.Validate(stem + "1");

        var started = Stopwatch.GetTimestamp();
        var waitBound = options.Timeout + SandboxOwnership.CleanupBound;
        var conflicts = 0;
        while (true)
        {
            var members = await ListSharedAsync(key, stem, cancellationToken).ConfigureAwait(false);
            var now = DateTimeOffset.UtcNow;
            // The newest: an older one of the same configuration is on its way out.
            if (members.Where(m => IsJoinable(m, now)).MaxBy(m => Generation(m.Name, stem)) is { } joinable)
            {
                if (await TryJoinAsync(joinable.Name, key, cancellationToken).ConfigureAwait(false) is { } lease)
                {
                    Log.SharedAcquired(Logger, lease.Sandbox.Name, key, "joined", Log.Milliseconds(Stopwatch.GetElapsedTime(started)));
                    return lease;
                }
                // Another process joined or left at the same moment (or it is going): read it again rather than make a second one.
                ThrowIfWaitedTooLong(joinable.Name, started, waitBound);
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(10, 50)), cancellationToken).ConfigureAwait(false);
                continue;
            }
            if (members.FirstOrDefault(m => IsComing(m, now, options.Timeout)) is { } coming)
            {
                ThrowIfWaitedTooLong(coming.Name, started, waitBound);
                await Task.Delay(SharedPoll, cancellationToken).ConfigureAwait(false);
                continue;
            }
            var name = stem + ((members.Count == 0 ? 0 : members.Max(m => Generation(m.Name, stem))) + 1).ToString(CultureInfo.InvariantCulture);
            try
            {
                var lease = await CreateSharedAsync(name, key, options, shared, cancellationToken).ConfigureAwait(false);
                Log.SharedAcquired(Logger, name, key, "created", Log.Milliseconds(Stopwatch.GetElapsedTime(started)));
                return lease;
            }
            catch (NameConflictException) when (++conflicts < SharedConflicts)
            {
                // Another process created it first (the daemon's unique names decide): join it on the next round.
            }
        }
    }

    private static void ThrowIfWaitedTooLong(string name, long started, TimeSpan bound)
    {
        if (Stopwatch.GetElapsedTime(started) > bound)
        {
            throw new SandboxTimeoutException(
                $"Shared sandbox '{name}' did not take this process within {bound.TotalSeconds:0} s: another process is still creating it, " +
                "or it keeps changing. See what it is doing with: dotnet isb list");
        }
    }

    private async Task<List<Instance>> ListSharedAsync(string key, string stem, CancellationToken cancellationToken)
    {
        // The daemon narrows the list by key; key and name are checked here again, since another configuration's must never be joined.
        var listed = await Incus.Instances.ListPlainAsync($"config.{SharedLabels.Key} eq {key}", cancellationToken).ConfigureAwait(false);
        return listed.Where(i => i.Config.GetValueOrDefault(SharedLabels.Key) == key && Generation(i.Name, stem) > 0).ToList();
    }

    /// <summary>N in <c>PREFIX-HASH-N</c>; 0 when the name is not of this form.</summary>
    private static int Generation(string name, string stem) =>
        name.StartsWith(stem, StringComparison.Ordinal)
        && int.TryParse(name.AsSpan(stem.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var generation) ? generation : 0;

    private static bool IsJoinable(Instance member, DateTimeOffset now) =>
        member.Config.GetValueOrDefault(SharedLabels.State) == SharedLabels.Ready
        && SandboxStates.FromStatusCode(member.StatusCode) == SandboxState.Running
        && !SharedHolders.IsExpired(member.Config, now);

    /// <summary>Being created by another process, and not so long that its creator must have died mid-create.</summary>
    private static bool IsComing(Instance member, DateTimeOffset now, TimeSpan timeout) =>
        member.Config.GetValueOrDefault(SharedLabels.State) == SharedLabels.Starting
        && now - member.CreatedAt < timeout + SandboxOwnership.CleanupBound
        && !SharedHolders.IsExpired(member.Config, now);

    /// <summary>
    /// Creates the shared sandbox holding the first lease. Until it is marked ready nobody joins it; a failure or a
    /// cancellation deletes it (nobody else holds it).
    /// </summary>
    private async Task<SharedSandboxLease> CreateSharedAsync(string name, string key, SandboxOptions options, SharedSandboxOptions shared,
        CancellationToken cancellationToken)
    {
        var lease = NewLeaseKey();
        var expires = DateTimeOffset.UtcNow + shared.TimeToLive;
        var labels = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [SharedLabels.Key] = key,
            [SharedLabels.State] = SharedLabels.Starting,
            [SharedLabels.Expires] = expires.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
            [lease] = Holder,
        };
        var sandbox = await CreateCoreAsync(options with { Name = name, AutoDestroy = true }, labels, ct => ReleaseLeaseAsync(name, lease, ct), cancellationToken)
            .ConfigureAwait(false);
        try
        {
            var ready = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [SharedLabels.State] = SharedLabels.Ready,
                [SharedLabels.Address] = sandbox.IPv4Address ?? "",
            };
            await Incus.Instances.PatchAsync(name, new InstancePatch { Config = ready, Description = "" },
                Incus.Instances.Context($"Marking shared sandbox '{name}' ready", name), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            try
            {
                await sandbox.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception cleanup)
            {
                // The original failure is what the caller needs; it stays owned, so the client's dispose tries again.
                Log.CleanupFailed(Logger, name, new AggregateException(e, cleanup));
            }
            throw;
        }
        return new SharedSandboxLease(sandbox, key, DateTimeOffset.FromUnixTimeSeconds(expires.ToUnixTimeSeconds()), created: true);
    }

    /// <summary>
    /// Joins a ready shared sandbox: adds a lease to its config in one PATCH guarded by the ETag of the read that found it
    /// joinable, so a join and a release of the last lease (which marks it retiring) never both land. The lease is owned
    /// before the PATCH is sent: if its answer is lost, the cleanup releases whatever landed.
    /// </summary>
    /// <returns>The lease, or null when the sandbox changed since the read (read it again) or is gone.</returns>
    private async Task<SharedSandboxLease?> TryJoinAsync(string name, string key, CancellationToken cancellationToken)
    {
        Instance instance;
        string? etag;
        try
        {
            (instance, etag) = await Incus.Instances.GetWithEtagAsync(name, cancellationToken).ConfigureAwait(false);
        }
        catch (SandboxNotFoundException)
        {
            return null;
        }
        if (instance.Config.GetValueOrDefault(SharedLabels.Key) != key || !IsJoinable(instance, DateTimeOffset.UtcNow) || etag is null
            || instance.Config.GetValueOrDefault(SandboxLabels.CreateId) is not { } createId)
        {
            return null;
        }
        var lease = NewLeaseKey();
        var owned = Ownership.Reserve(name, createId);
        // As for a pool claim, only the wait is cancelled, not the request: the cleanup waits for its answer, then releases.
        var bound = new CancellationTokenSource(SandboxOwnership.CleanupBound);
        var patch = Incus.Instances.PatchAsync(name, new InstancePatch { Config = new() { [lease] = Holder }, Description = instance.Description },
            Incus.Instances.Context($"Joining shared sandbox '{name}'", name), etag, bound.Token);
        _ = patch.ContinueWith(_ => bound.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        owned.MayDestroy = async ct =>
        {
            try
            {
                await patch.WaitAsync(ct).ConfigureAwait(false);
            }
            catch (Exception) when (!ct.IsCancellationRequested)
            {
                // Refused, or no answer: the release finds out whether the lease is there.
            }
            return await ReleaseLeaseAsync(name, lease, ct).ConfigureAwait(false);
        };
        owned.MarkCreated();
        try
        {
            await patch.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IncusTestKitException e) when (e.Condition == DaemonCondition.ChangedSinceRead || e is SandboxNotFoundException)
        {
            Ownership.Release(owned);
            return null;
        }
        catch (Exception e)
        {
            try
            {
                await Ownership.DestroyAsync(owned).ConfigureAwait(false);
            }
            catch (Exception cleanup)
            {
                Log.CleanupFailed(Logger, name, new AggregateException(e, cleanup));
            }
            throw;
        }
        owned.MayDestroy = ct => ReleaseLeaseAsync(name, lease, ct);
        // A joiner is a user like a creator: its crash watcher must release its lease after a SIGKILL.
        SweepLeftoversOnce();
        var config = new Dictionary<string, string>(instance.Config, StringComparer.Ordinal) { [lease] = Holder };
        var sandbox = new Sandbox(this, instance with { Config = config }, owned, instance.Config.GetValueOrDefault(SharedLabels.Address) is { Length: > 0 } a ? a : null);
        long.TryParse(instance.Config.GetValueOrDefault(SharedLabels.Expires), NumberStyles.None, CultureInfo.InvariantCulture, out var expires);
        return new SharedSandboxLease(sandbox, key, DateTimeOffset.FromUnixTimeSeconds(expires), created: false);
    }

    /// <summary>
    /// The cleanup guard of a lease (see <see cref="OwnedSandbox.MayDestroy"/>): removes the lease and, when no other
    /// holder is left alive, marks the sandbox retiring with this process as its owner in the same ETag-guarded PATCH,
    /// so no one joins it any more and it is this process's to destroy. A join landing first makes the PATCH fail; the
    /// sandbox is then read again and judged anew.
    /// </summary>
    /// <returns>True when the caller must destroy the sandbox (the lease was the last).</returns>
    private async Task<bool> ReleaseLeaseAsync(string name, string lease, CancellationToken cancellationToken)
    {
        var last = false;
        // A change since the read is someone joining or leaving; busy is another operation on it, most likely a sweep
        // deleting it, after which the next read finds nothing to release.
        var change = await Incus.Instances.ChangeConfigAsync(name, instance =>
        {
            if (instance.Config.GetValueOrDefault(lease) is not { Length: > 0 })
                return null; // Never landed, or already released: not this lease's to destroy.
            last = SharedHolders.Of(instance.Config, DateTimeOffset.UtcNow, exceptLease: lease).Live == 0;
            var release = new Dictionary<string, string>(StringComparer.Ordinal) { [lease] = "" };
            if (last)
            {
                release[SharedLabels.State] = SharedLabels.Retiring;
                release[SandboxLabels.Owner] = OwnerProcess.CurrentValue ?? "";
            }
            return release;
        }, Incus.Instances.Context($"Releasing shared sandbox '{name}'", name), ReleaseAttempts, ReleaseBusyPause, cancellationToken).ConfigureAwait(false);
        if (change != GuardedChange.Made)
            return false;
        Log.SharedReleased(Logger, name, last ? "the last: destroying it" : "others still hold it");
        return last;
    }

    private static string NewLeaseKey() => SharedLabels.LeasePrefix + SandboxNames.Generate("l")[2..];

    /// <summary>The value of this process's leases: its owner label, which tells a later process whether it is gone.</summary>
    private static string Holder => OwnerProcess.CurrentValue ?? SharedLabels.UnknownHolder;
}
