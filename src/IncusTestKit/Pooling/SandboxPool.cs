using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using IncusTestKit.Client;
using IncusTestKit.Client.Models;
using IncusTestKit.Diagnostics;
using IncusTestKit.Errors;
using IncusTestKit.Sandboxes;

namespace IncusTestKit.Pooling;

/// <summary>
/// Keeps ready sandboxes of one configuration, so that getting one costs a claim (a few daemon requests), not a create.
/// The pool lives in Incus: members are instances labelled with a hash of the configuration, so every pool of the same
/// configuration on the same project, in this process or another, shares them, and members of another configuration
/// are never handed out. A claim is an ETag-guarded config change: of two claimers of one member exactly one wins.
/// </summary>
/// <example>
/// <code>
/// await using var client = new SandboxClient();
/// await using var pool = new SandboxPool(client, new SandboxOptions { Image = "isb/busybox" }, new SandboxPoolOptions { Size = 4 });
/// await using var sandbox = await pool.AcquireAsync();   // running, set up, yours; disposing it destroys it
/// </code>
/// </example>
/// <remarks>
/// <para>A sandbox handed out is never given to anyone else: disposing it destroys it, it is never recycled.</para>
/// <para>Members are replenished in the background, at most <see cref="SandboxPoolOptions.MaxConcurrentCreates"/> at a
/// time; failures are logged through the client's logger and retried with a growing pause.</para>
/// <para>Unclaimed members are auto-destroy sandboxes of the process that made them: disposing the pool, its client,
/// or the process's end (Ctrl-C, SIGTERM) destroys them, except those another process claimed in the meantime.
/// With <see cref="SandboxPoolOptions.KeepMembers"/> they outlive the process instead.</para>
/// </remarks>
public sealed class SandboxPool : IAsyncDisposable
{
    private static readonly TimeSpan Recheck = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan LongestRetryPause = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan KeptMembersDrain = TimeSpan.FromSeconds(10);

    private readonly SandboxClient _client;
    private readonly SandboxOptions _options;
    private readonly SandboxPoolOptions _pool;
    private readonly CancellationTokenSource _stopping;
    private readonly CancellationTokenSource _abandon;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly ConcurrentDictionary<string, Task> _creating = new(StringComparer.Ordinal);
    // The members this pool made and still owns (unclaimed ones, and claimed ones it has not seen claimed yet).
    private readonly ConcurrentDictionary<string, OwnedSandbox> _made = new(StringComparer.Ordinal);
    // Members last seen ready (made ready here, or in the last listing): tried first, so a claim usually needs no listing.
    private readonly ConcurrentDictionary<string, byte> _seenReady = new(StringComparer.Ordinal);
    private readonly Task _replenishing;
    private int _failures;
    private int _failureSerial;
    private Exception? _lastFailure;
    private int _disposed;

    /// <summary>Creates the pool and starts filling it in the background.</summary>
    /// <param name="client">The client that creates, claims and destroys the members; it must outlive the pool.</param>
    /// <param name="options">The configuration of every member. <see cref="SandboxOptions.Name"/> must not be set (members are named by the pool) and
    /// <see cref="SandboxOptions.AutoDestroy"/> must stay on (a sandbox handed out is destroyed when disposed).</param>
    /// <param name="poolOptions">How many members to keep and how; null for the defaults.</param>
    /// <exception cref="ArgumentException">The options name the sandbox, turn auto-destroy off, or the pool options are out of range.</exception>
    /// <exception cref="InvalidNameException">A label key or the name prefix is invalid.</exception>
    public SandboxPool(SandboxClient client, SandboxOptions? options = null, SandboxPoolOptions? poolOptions = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        options ??= new SandboxOptions();
        _pool = poolOptions ?? new SandboxPoolOptions();
        if (options.Name is not null)
            throw new ArgumentException("A pool names its members itself: leave SandboxOptions.Name unset (set SandboxPoolOptions.NamePrefix instead).", nameof(options));
        if (!options.AutoDestroy)
            throw new ArgumentException("A pool hands out auto-destroy sandboxes only: leave SandboxOptions.AutoDestroy on, or create the sandbox with SandboxClient.CreateAsync.", nameof(options));
        ArgumentOutOfRangeException.ThrowIfNegative(_pool.Size, nameof(poolOptions));
        ArgumentOutOfRangeException.ThrowIfLessThan(_pool.MaxConcurrentCreates, 1, nameof(poolOptions));
        SandboxNames.Validate(SandboxNames.Generate(_pool.NamePrefix));
        SandboxLabels.Validate(options.Labels);
        _client = client;
        _options = options with { AutoDestroy = !_pool.KeepMembers };
        Key = PoolKey.Of(options, client.Project, client.DefaultImage, client.DefaultType);
        // The process's end stops the pool at once: members made while the exit cleanup runs would outlive it.
        _stopping = CancellationTokenSource.CreateLinkedTokenSource(client.Ownership.Ending);
        _abandon = CancellationTokenSource.CreateLinkedTokenSource(client.Ownership.Ending);
        // The background work is the pool's, not the caller's: it must not carry the caller's async-local state (a test
        // framework's current test, whose output is closed once that test ends, would receive every later log entry).
        using (ExecutionContext.SuppressFlow())
            _replenishing = Task.Run(ReplenishAsync);
    }

    /// <summary>The configuration's hash, stored on every member as <c>user.isb.pool</c>: pools with equal keys share members.</summary>
    public string Key { get; }

    /// <summary>How many ready members the pool keeps.</summary>
    public int Size => _pool.Size;

    /// <summary>
    /// Hands out a running sandbox of the pool's configuration: a ready member, claimed so that no one else gets it, or,
    /// when none is ready, a fresh one created directly (so this never takes longer than a create). Either way it is
    /// yours, an auto-destroy sandbox of this client: disposing it destroys it.
    /// </summary>
    /// <param name="cancellationToken">Cancels the claim or the create; nothing is left owned (a claim whose answer was lost is found out and destroyed).</param>
    /// <returns>The sandbox, running and set up (mounts in place).</returns>
    /// <exception cref="ObjectDisposedException">The pool or its client is disposed.</exception>
    /// <exception cref="IncusUnavailableException">The daemon cannot be reached.</exception>
    /// <exception cref="IncusTestKitException">The direct create failed (see <see cref="SandboxClient.CreateAsync(SandboxOptions?, CancellationToken)"/>).</exception>
    public async Task<Sandbox> AcquireAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken = _client.CallToken(cancellationToken);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);
        var started = Stopwatch.GetTimestamp();
        // A hint is only a name: the claim reads the member and checks its key and state before it takes it.
        var sandbox = await TryClaimAnyAsync(_seenReady.Keys, cancellationToken).ConfigureAwait(false);
        if (sandbox is null)
        {
            var members = await ListMembersAsync(cancellationToken).ConfigureAwait(false);
            sandbox = await TryClaimAnyAsync(members.Where(IsClaimable).Select(m => m.Name), cancellationToken).ConfigureAwait(false);
        }
        Wake();
        if (sandbox is not null)
        {
            Log.PoolClaimed(_client.Logger, Key, sandbox.Name, Log.Milliseconds(Stopwatch.GetElapsedTime(started)));
            return sandbox;
        }
        var name = SandboxNames.Generate(_pool.NamePrefix);
        Log.PoolEmpty(_client.Logger, Key, name);
        return await _client.CreateAsync(_options with { Name = name, AutoDestroy = true }, cancellationToken).ConfigureAwait(false);
    }

    // Shuffled, so that claimers who read the same members do not all race for the first one.
    private async Task<Sandbox?> TryClaimAnyAsync(IEnumerable<string> names, CancellationToken cancellationToken)
    {
        foreach (var name in names.OrderBy(_ => Random.Shared.Next()).ToList())
        {
            _seenReady.TryRemove(name, out _);
            if (await TryClaimAsync(name, cancellationToken).ConfigureAwait(false) is { } sandbox)
                return sandbox;
        }
        return null;
    }

    /// <summary>
    /// Waits until the pool has <see cref="Size"/> ready members (counting those of other pools of the same configuration).
    /// </summary>
    /// <param name="cancellationToken">Bounds the wait.</param>
    /// <exception cref="IncusTestKitException">Creating a member failed while waiting (the pool keeps retrying in the background).</exception>
    /// <exception cref="OperationCanceledException">The wait was cancelled first.</exception>
    public async Task WarmUpAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken = _client.CallToken(cancellationToken);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);
        var failures = Volatile.Read(ref _failureSerial);
        while (true)
        {
            var members = await ListMembersAsync(cancellationToken).ConfigureAwait(false);
            if (members.Count(IsClaimable) >= Size)
                return;
            if (Volatile.Read(ref _failureSerial) != failures && Volatile.Read(ref _lastFailure) is { } failure)
                ExceptionDispatchInfo.Throw(failure);
            Wake();
            await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A member being made, by this process or another, that may yet become ready. One still starting long after any
    /// create would have ended belongs to a process that died mid-create: it is not counted (the reaper's to remove),
    /// or it would keep the pool from ever filling.
    /// </summary>
    private bool IsStillStarting(Instance member) =>
        member.Config.GetValueOrDefault(PoolLabels.State) == PoolLabels.Starting
        && DateTimeOffset.UtcNow - member.CreatedAt < _options.Timeout + SandboxOwnership.CleanupBound;

    private bool IsClaimable(Instance member) =>
        member.Config.GetValueOrDefault(PoolLabels.State) == PoolLabels.Ready && SandboxStates.FromStatusCode(member.StatusCode) == SandboxState.Running;

    private async Task<List<Instance>> ListMembersAsync(CancellationToken cancellationToken)
    {
        // The daemon narrows the list by key; the key is checked here again, since a member of another configuration must never be handed out.
        var listed = await _client.Incus.Instances.ListPlainAsync($"config.{PoolLabels.Key} eq {Key}", cancellationToken).ConfigureAwait(false);
        return listed.Where(i => i.Config.GetValueOrDefault(PoolLabels.Key) == Key).ToList();
    }

    /// <summary>
    /// Claims a member: reads it with its ETag and, if it is still ready, changes its state to claimed, its owner to this
    /// process and its claim token to a new one, all in one PATCH guarded by that ETag. The daemon checks the ETag and
    /// writes under the instance's lock, so when two claimers read the same member, one write succeeds and the other gets
    /// 412. The claim is owned before it is sent: if its answer is lost (a cancellation, a dead daemon, the process's end),
    /// the cleanup reads the token back and destroys the member only if this claim won it.
    /// </summary>
    /// <returns>The claimed sandbox, or null when someone else got it first.</returns>
    private async Task<Sandbox?> TryClaimAsync(string name, CancellationToken cancellationToken)
    {
        Instance instance;
        string? etag;
        try
        {
            (instance, etag) = await _client.Incus.Instances.GetWithEtagAsync(name, cancellationToken).ConfigureAwait(false);
        }
        catch (SandboxNotFoundException)
        {
            return null;
        }
        if (instance.Config.GetValueOrDefault(PoolLabels.Key) != Key || !IsClaimable(instance) || etag is null
            || instance.Config.GetValueOrDefault(SandboxLabels.CreateId) is not { } createId)
        {
            return null;
        }
        var token = SandboxNames.Generate("k")[2..];
        var claim = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [PoolLabels.State] = PoolLabels.Claimed,
            [PoolLabels.Claim] = token,
            [SandboxLabels.Owner] = OwnerProcess.CurrentValue ?? "",
            [SandboxLabels.Session] = SandboxLabels.SessionId,
            [SandboxLabels.AutoDestroy] = "true",
        };
        var owned = _client.Ownership.Reserve(name, createId);
        // The request itself is not cancelled, only the wait for it: a PATCH already sent could still land after a
        // cleanup read the member as not ours. So the cleanup waits for its answer first, then reads the token back.
        var bound = new CancellationTokenSource(SandboxOwnership.CleanupBound);
        var patch = _client.Incus.Instances.PatchAsync(name, new InstancePatch { Config = claim, Description = instance.Description },
            _client.Incus.Instances.Context($"Claiming sandbox '{name}' from pool {Key}", name), etag, bound.Token);
        _ = patch.ContinueWith(_ => bound.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        owned.MayDestroy = async ct =>
        {
            try
            {
                await patch.WaitAsync(ct).ConfigureAwait(false);
            }
            catch (Exception) when (!ct.IsCancellationRequested)
            {
                // Refused, or no answer: the token tells whether it landed.
            }
            return await HoldsClaimAsync(name, token, ct).ConfigureAwait(false);
        };
        owned.MarkCreated();
        try
        {
            await patch.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IncusTestKitException e) when (e.Condition == DaemonCondition.ChangedSinceRead || e is SandboxNotFoundException)
        {
            _client.Ownership.Release(owned);
            Log.PoolClaimLost(_client.Logger, Key, name);
            return null;
        }
        catch (Exception e)
        {
            try
            {
                await _client.Ownership.DestroyAsync(owned).ConfigureAwait(false);
            }
            catch (Exception cleanup)
            {
                // The claim's own failure is what the caller needs; it stays owned, so the client's dispose tries again.
                Log.CleanupFailed(_client.Logger, name, new AggregateException(e, cleanup));
            }
            throw;
        }
        owned.MayDestroy = null;
        if (_made.TryRemove(name, out var asCreator))
            _client.Ownership.Release(asCreator);
        var config = new Dictionary<string, string>(instance.Config, StringComparer.Ordinal);
        foreach (var (key, value) in claim)
            config[key] = value;
        return new Sandbox(_client, instance with { Config = config }, owned, instance.Config.GetValueOrDefault(PoolLabels.Address));
    }

    // Once a member carries this claim's token nobody else can claim it, so reading the token decides whether it is ours.
    private async Task<bool> HoldsClaimAsync(string name, string token, CancellationToken cancellationToken)
    {
        try
        {
            var (instance, _) = await _client.Incus.Instances.GetWithEtagAsync(name, cancellationToken).ConfigureAwait(false);
            return instance.Config.GetValueOrDefault(PoolLabels.Claim) == token;
        }
        catch (SandboxNotFoundException)
        {
            return false;
        }
    }

    /// <summary>
    /// The guard of a member this pool made, asked before its owner destroys it: the creator claims it for itself (the
    /// same guarded change as any claim), so a member another process claimed first is let go, never destroyed under it.
    /// </summary>
    private async Task<bool> RetireAsync(string name, CancellationToken cancellationToken)
    {
        var token = SandboxNames.Generate("k")[2..];
        // A change since the read is a claim, most likely: read again to see who has it.
        return await _client.Incus.Instances.ChangeConfigAsync(name, instance => instance.Config.GetValueOrDefault(PoolLabels.State) == PoolLabels.Claimed
                ? null
                : new() { [PoolLabels.State] = PoolLabels.Claimed, [PoolLabels.Claim] = token },
            _client.Incus.Instances.Context($"Taking pool member '{name}' back to destroy it", name), attempts: 10, busyPause: null, cancellationToken)
            .ConfigureAwait(false) == GuardedChange.Made;
    }

    private void Wake() => _wake.Writer.TryWrite(true);

    /// <summary>The background loop: tops the pool up whenever woken (a claim, a member made), and every few seconds in case other processes claimed.</summary>
    private async Task ReplenishAsync()
    {
        var stopping = _stopping.Token;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                if (Volatile.Read(ref _failures) is var failures and > 0)
                    await Task.Delay(RetryPause(failures), stopping).ConfigureAwait(false);
                if (await TopUpAsync(stopping).ConfigureAwait(false))
                    Interlocked.Exchange(ref _failures, 0); // Full: whatever failed before is over.
                using var pause = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                pause.CancelAfter(Recheck);
                await _wake.Reader.ReadAsync(pause.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (OperationCanceledException)
            {
                // The pause ended: look again.
            }
            catch (Exception e)
            {
                Log.PoolTopUpFailed(_client.Logger, Key, e);
                Fail(e);
            }
        }
    }

    private static TimeSpan RetryPause(int failures) =>
        TimeSpan.FromMilliseconds(Math.Min(LongestRetryPause.TotalMilliseconds, 250 * Math.Pow(2, Math.Min(failures - 1, 10))));

    private void Fail(Exception e)
    {
        Volatile.Write(ref _lastFailure, e);
        Interlocked.Increment(ref _failureSerial);
        Interlocked.Increment(ref _failures);
    }

    /// <summary>Starts the creates the pool is short of (within the concurrency bound); true when it is short of none.</summary>
    private async Task<bool> TopUpAsync(CancellationToken cancellationToken)
    {
        // Only members made before the list was read can be judged by it.
        var made = _made.Keys.ToList();
        var members = await ListMembersAsync(cancellationToken).ConfigureAwait(false);
        // Members this pool made that are now claimed (by another pool or process) or gone are no longer its to destroy.
        var alive = members.Where(m => m.Config.GetValueOrDefault(PoolLabels.State) != PoolLabels.Claimed).Select(m => m.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var name in made.Where(n => !alive.Contains(n)))
        {
            if (_made.TryRemove(name, out var owned))
                _client.Ownership.Release(owned);
        }
        _seenReady.Clear();
        foreach (var member in members.Where(IsClaimable))
            _seenReady[member.Name] = 0;
        var coming = members.Where(m => IsClaimable(m) || IsStillStarting(m))
                            .Select(m => m.Name).Concat(_creating.Keys).ToHashSet(StringComparer.Ordinal);
        var missing = Size - coming.Count;
        var starting = Math.Min(missing, _pool.MaxConcurrentCreates - _creating.Count);
        for (var i = 0; i < starting; i++)
        {
            var name = SandboxNames.Generate(_pool.NamePrefix);
            var create = new TaskCompletionSource();
            _creating[name] = create.Task;
            _ = CreateMemberAsync(name).ContinueWith(_ =>
            {
                _creating.TryRemove(name, out Task? _);
                create.SetResult();
            }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        return missing <= 0;
    }

    /// <summary>Creates one member (starting), then marks it ready with its address. Never throws: failures are logged and counted.</summary>
    private async Task CreateMemberAsync(string name)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [PoolLabels.Key] = Key,
            [PoolLabels.State] = PoolLabels.Starting,
        };
        if (!_pool.KeepMembers)
            labels[SandboxLabels.Owner] = OwnerProcess.CurrentValue ?? "";
        Sandbox? sandbox = null;
        try
        {
            sandbox = await _client.CreateCoreAsync(_options with { Name = name }, labels, _pool.KeepMembers ? null : ct => RetireAsync(name, ct), _abandon.Token)
                .ConfigureAwait(false);
            if (sandbox.Owned is { } owned)
                _made[name] = owned;
            var ready = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [PoolLabels.State] = PoolLabels.Ready,
                [PoolLabels.Address] = sandbox.IPv4Address ?? "",
            };
            await _client.Incus.Instances.PatchAsync(name, new InstancePatch { Config = ready, Description = "" },
                _client.Incus.Instances.Context($"Marking pool member '{name}' ready", name), _abandon.Token).ConfigureAwait(false);
            Interlocked.Exchange(ref _failures, 0);
            _seenReady[name] = 0;
            Log.PoolMemberReady(_client.Logger, Key, name);
            Wake();
        }
        catch (OperationCanceledException) when (_abandon.IsCancellationRequested)
        {
            await DestroyUnreadyAsync(name, sandbox).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Fail(e);
            Log.PoolMemberFailed(_client.Logger, Key, name, (long)RetryPause(Volatile.Read(ref _failures)).TotalMilliseconds, e);
            await DestroyUnreadyAsync(name, sandbox).ConfigureAwait(false);
            Wake();
        }
    }

    // A member made but not marked ready is still "starting", so nobody else can have claimed it.
    private async Task DestroyUnreadyAsync(string name, Sandbox? sandbox)
    {
        if (sandbox is null)
            return; // The create cleaned up after itself.
        _made.TryRemove(name, out _);
        try
        {
            if (sandbox.Owned is { } owned)
                await _client.Ownership.DestroyAsync(owned).ConfigureAwait(false);
            else
            {
                using var bound = new CancellationTokenSource(SandboxOwnership.CleanupBound);
                await _client.DestroyOwnedInstanceAsync(name, sandbox.CreateId!, bound.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e)
        {
            Log.CleanupFailed(_client.Logger, name, e);
        }
    }

    /// <summary>
    /// Stops replenishing and destroys the unclaimed members this pool made (members another process claimed are left
    /// to it); members being created are abandoned and deleted. With <see cref="SandboxPoolOptions.KeepMembers"/> the
    /// members stay, and those being created get up to 10 s to become ready. Sandboxes handed out are not touched:
    /// they are their holders'. Disposing again does nothing.
    /// </summary>
    /// <exception cref="SandboxCleanupException">Some members could not be destroyed; they stay owned by the client, whose dispose tries again.</exception>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
            return;
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _replenishing.ConfigureAwait(false);
        var creating = Task.WhenAll(_creating.Values);
        if (_pool.KeepMembers)
            await creating.WaitAsync(KeptMembersDrain).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
        await _abandon.CancelAsync().ConfigureAwait(false);
        await creating.ConfigureAwait(false);
        var failures = new ConcurrentDictionary<string, Exception>(StringComparer.Ordinal);
        if (!_client.IsDisposed)
        {
            await Task.WhenAll(_made.Values.Select(async owned =>
            {
                try
                {
                    await _client.Ownership.DestroyAsync(owned).ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    Log.CleanupFailed(_client.Logger, owned.Name, e);
                    failures[owned.Name] = e;
                }
            })).ConfigureAwait(false);
        }
        _made.Clear();
        _stopping.Dispose();
        _abandon.Dispose();
        if (!failures.IsEmpty)
            throw new SandboxCleanupException(_client.Project, failures.ToDictionary(StringComparer.Ordinal));
    }
}
