using IncusTestKit.Diagnostics;

namespace IncusTestKit.Sandboxes;

public sealed partial class SandboxClient
{
    private readonly CancellationTokenSource _closing = new();
    private int _sweepStarted;
    private Task _backgroundSweep = Task.CompletedTask;

    /// <summary>
    /// Destroys leftovers: auto-destroy sandboxes (made or half-made) whose owning process on this machine is provably
    /// gone, such as those of a test run killed with SIGKILL. A client does this by itself once, in the background, after
    /// its first auto-destroy sandbox is created; call this to do it now. Not touched: sandboxes made to be kept
    /// (<see cref="SandboxOptions.AutoDestroy"/> false) or kept for inspection after a readiness timeout, sandboxes of
    /// processes on other machines or in other pid namespaces (containers), and sandboxes of live processes. Several
    /// processes may sweep at once. A shared sandbox (<see cref="AcquireSharedAsync"/>) is a leftover only when every
    /// process that holds a lease on it is gone (or, past its time-to-live, none is seen alive on this machine). Bounded to 60 s; what cannot be destroyed is reported in the result, and logged, never thrown.
    /// </summary>
    /// <param name="dryRun">Only find them: <see cref="ReapResult.Leftovers"/> says what would be destroyed.</param>
    /// <param name="cancellationToken">Cancels the sweep.</param>
    /// <returns>The leftovers found and destroyed, those that could not be, and why a sweep could not run at all.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<ReapResult> ReapLeftoversAsync(bool dryRun = false, CancellationToken cancellationToken = default) =>
        new LeftoverReaper(this).SweepAsync(dryRun, cancellationToken);

    /// <summary>The automatic sweep: started once, after the client's first auto-destroy create, and stopped by its dispose.</summary>
    internal Task BackgroundSweep => Volatile.Read(ref _backgroundSweep);

    private void SweepLeftoversOnce()
    {
        if (Interlocked.Exchange(ref _sweepStarted, 1) == 1)
            return;
        if (WatchForCrash)
            CrashWatcher.StartOnce(this);
        Volatile.Write(ref _backgroundSweep, Task.Run(async () =>
        {
            try
            {
                await new LeftoverReaper(this).SweepAsync(dryRun: false, _closing.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                // The client is being disposed: a later sweep does what this one did not.
            }
        }));
    }

    /// <summary>Stops the background sweep before the connections close.</summary>
    private async Task StopSweepAsync()
    {
        await _closing.CancelAsync().ConfigureAwait(false);
        await BackgroundSweep.ConfigureAwait(false);
        _closing.Dispose();
    }
}
