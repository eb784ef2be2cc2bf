namespace IncusTestKit.Client;

/// <summary>
/// The caller's token joined with the daemon bound (<see cref="Configuration.SandboxClientOptions.DaemonTimeout"/>), so
/// a wait that ends can be told apart: the caller cancelled (an <see cref="OperationCanceledException"/> for them), or
/// the daemon did not answer in time (<see cref="Expired"/>, an <see cref="Errors.IncusUnavailableException"/>).
/// The bound can be paused while the wait is on someone other than the daemon, and re-armed on progress.
/// </summary>
internal sealed class DaemonDeadline : IDisposable
{
    private readonly CancellationTokenSource _source;
    private readonly CancellationToken _caller;

    /// <param name="bound">How long the daemon may take; <see cref="Timeout.InfiniteTimeSpan"/> for no bound.</param>
    /// <param name="caller">The caller's token, which still cancels as it always did.</param>
    public DaemonDeadline(TimeSpan bound, CancellationToken caller)
    {
        Bound = bound;
        _caller = caller;
        _source = CancellationTokenSource.CreateLinkedTokenSource(caller);
        Arm();
    }

    public TimeSpan Bound { get; }

    public CancellationToken Token => _source.Token;

    /// <summary>True when the bound ran out, and the caller had not cancelled.</summary>
    public bool Expired => _source.IsCancellationRequested && !_caller.IsCancellationRequested;

    /// <summary>Starts the bound again from now: the daemon has made progress, or the wait is on it again.</summary>
    public void Arm() => Set(Bound);

    /// <summary>Stops the clock while the wait is not on the daemon (reading the caller's own stream).</summary>
    public void Pause() => Set(Timeout.InfiniteTimeSpan);

    private void Set(TimeSpan delay)
    {
        if (Bound == Timeout.InfiniteTimeSpan)
            return;
        try
        {
            _source.CancelAfter(delay);
        }
        catch (ObjectDisposedException)
        {
            // A request body still being written after its answer arrived: the bound no longer matters.
        }
    }

    public void Dispose() => _source.Dispose();
}
