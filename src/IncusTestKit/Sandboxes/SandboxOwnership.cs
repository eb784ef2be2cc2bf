using System.Collections.Concurrent;
using IncusTestKit.Diagnostics;
using IncusTestKit.Errors;

namespace IncusTestKit.Sandboxes;

/// <summary>
/// What one <see cref="SandboxClient"/> is responsible for destroying: every sandbox it is creating (from just before the
/// create request is sent) and the auto-destroy sandboxes it made that are still alive. Disposing the client destroys
/// them; so does <see cref="ProcessExitCleanup"/> for every live client when the process ends. A cleanup deletes an
/// instance only while it carries the owned create id: a same-named instance made by someone else is never touched.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification =
    "_ending has no timer and no links: it holds nothing to release, and pools may read its token until the process ends.")]
internal sealed class SandboxOwnership(SandboxClient client)
{
    /// <summary>How long destroying one sandbox may take: the create request's answer, its operation, the stop and the delete.</summary>
    public static readonly TimeSpan CleanupBound = TimeSpan.FromSeconds(30);

    private readonly Lock _gate = new();
    private readonly HashSet<OwnedSandbox> _owned = [];
    private readonly CancellationTokenSource _ending = new();
    private bool _closed;

    /// <summary>
    /// Cancelled when the process starts ending (see <see cref="ProcessExitCleanup"/>): background work that makes
    /// sandboxes for later (a pool topping itself up) stops, so nothing new is made while the cleanup runs.
    /// </summary>
    public CancellationToken Ending => _ending.Token;

    /// <summary>The process is ending: stop the background work that listens to <see cref="Ending"/>.</summary>
    public void BeginEnding()
    {
        try
        {
            _ending.Cancel();
        }
        catch (AggregateException)
        {
            // A callback failed; the cleanup that follows must run anyway.
        }
    }

    public string Project => client.Project;

    /// <summary>Whether a signal (not only the process's exit) destroys what is owned.</summary>
    public bool DestroyOnSignal => client.DestroyOnSignal;

    /// <summary>What is owned right now (tests observe it).</summary>
    public IReadOnlyList<OwnedSandbox> Owned
    {
        get
        {
            lock (_gate)
                return [.. _owned];
        }
    }

    /// <summary>Owns a sandbox before anything is sent for it.</summary>
    /// <exception cref="ObjectDisposedException">The client is disposed or being disposed.</exception>
    public OwnedSandbox Reserve(string name, string createId)
    {
        var owned = new OwnedSandbox(name, createId);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_closed, client);
            _owned.Add(owned);
        }
        ProcessExitCleanup.Track(this);
        return owned;
    }

    /// <summary>No longer owned: destroyed, or handed to the caller to keep.</summary>
    public void Release(OwnedSandbox owned)
    {
        lock (_gate)
            _owned.Remove(owned);
    }

    /// <summary>
    /// Destroys an owned sandbox, abandoning its create when one is still running; concurrent callers share one cleanup.
    /// On success it is no longer owned; on failure it stays owned, so a later cleanup tries again.
    /// </summary>
    public Task DestroyAsync(OwnedSandbox owned) => owned.CleanupAsync(stage => DestroyCoreAsync(owned, stage));

    /// <summary>Destroys everything owned, together; returns what could not be destroyed, with why.</summary>
    /// <param name="close">Refuse new sandboxes from now on (the client is being disposed).</param>
    /// <param name="skip">Sandboxes not to try (already tried and reported).</param>
    public async Task<IReadOnlyDictionary<OwnedSandbox, Exception>> DestroyAllAsync(bool close, Func<OwnedSandbox, bool>? skip = null)
    {
        IReadOnlyList<OwnedSandbox> owned;
        lock (_gate)
        {
            _closed |= close;
            owned = [.. _owned.Where(o => skip?.Invoke(o) != true)];
        }
        var failures = new ConcurrentDictionary<OwnedSandbox, Exception>();
        await Task.WhenAll(owned.Select(async o =>
        {
            try
            {
                await DestroyAsync(o).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                Log.CleanupFailed(client.Logger, o.Name, e);
                failures[o] = e;
            }
        })).ConfigureAwait(false);
        return failures;
    }

    private async Task DestroyCoreAsync(OwnedSandbox owned, OwnedStage stage)
    {
        using var bound = new CancellationTokenSource(CleanupBound);
        try
        {
            if (stage == OwnedStage.Posting && await owned.Operation.WaitAsync(bound.Token).ConfigureAwait(false) is { } operation)
            {
                // The daemon may still be making the instance: a delete now could come before it exists. Cancel the
                // operation where the daemon allows it (an image download), then wait until it has ended.
                await client.Incus.Operations.CancelAsync(operation, bound.Token).ConfigureAwait(false);
                await client.Incus.Operations.WaitFinalAsync(operation, "Cleaning up an abandoned create", bound.Token).ConfigureAwait(false);
            }
            var ours = stage != OwnedStage.Created || owned.MayDestroy is not { } mayDestroy || await mayDestroy(bound.Token).ConfigureAwait(false);
            if (stage != OwnedStage.Reserved && ours)
                await client.DestroyOwnedInstanceAsync(owned.Name, owned.CreateId, bound.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (bound.IsCancellationRequested)
        {
            throw new SandboxTimeoutException(
                $"Sandbox '{owned.Name}' was not destroyed within {CleanupBound.TotalSeconds:0} s (the daemon did not answer in time).");
        }
        Release(owned);
    }
}
