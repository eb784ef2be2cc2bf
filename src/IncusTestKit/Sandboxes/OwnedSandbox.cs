namespace IncusTestKit.Sandboxes;

/// <summary>
/// One sandbox a <see cref="SandboxClient"/> is responsible for destroying, known by its instance name and the create
/// id written into its config: owned from just before its create request is sent until it is destroyed, or handed to
/// the caller to keep (a sandbox made without auto-destroy, once it is ready).
/// </summary>
internal sealed class OwnedSandbox(string name, string createId)
{
    private readonly Lock _gate = new();
    private CancellationTokenSource? _creating;
    private readonly TaskCompletionSource<string?> _operation = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private OwnedStage _stage;
    private bool _aborted;
    private Task? _cleanup;

    public string Name { get; } = name;

    public string CreateId { get; } = createId;

    /// <summary>
    /// Asked before a cleanup deletes the sandbox once it is <see cref="OwnedStage.Created"/>: false means it is no
    /// longer this owner's to delete (a pool member another process claimed), so it is let go instead. Null: always ours.
    /// </summary>
    public Func<CancellationToken, Task<bool>>? MayDestroy
    {
        get => Volatile.Read(ref _mayDestroy);
        set => Volatile.Write(ref _mayDestroy, value);
    }

    private Func<CancellationToken, Task<bool>>? _mayDestroy;

    public OwnedStage Stage
    {
        get
        {
            lock (_gate)
                return _stage;
        }
    }

    /// <summary>
    /// The creating call's token source, cancelled when a cleanup takes the sandbox over (the create must stop), until
    /// <see cref="Detach"/>. Cancelled at once when a cleanup has already begun.
    /// </summary>
    public void Attach(CancellationTokenSource creating)
    {
        lock (_gate)
        {
            _creating = creating;
            if (!_aborted)
                return;
        }
        creating.Cancel();
    }

    /// <summary>The creating call has ended: its token source is about to be disposed.</summary>
    public void Detach()
    {
        lock (_gate)
            _creating = null;
    }

    /// <summary>The create request's answer: its operation id, or null when the daemon refused it or did not answer.</summary>
    public Task<string?> Operation => _operation.Task;

    /// <summary>
    /// Called just before the create request is sent. Refuses once a cleanup has begun, so a request is never sent
    /// after the cleanup decided there was nothing to delete.
    /// </summary>
    /// <exception cref="OperationCanceledException">A cleanup (dispose, exit, a signal) took the sandbox over.</exception>
    public void BeginPost()
    {
        lock (_gate)
        {
            if (_aborted)
                throw new OperationCanceledException("The sandbox's creation was abandoned: its client is being disposed or the process is ending.");
            _stage = OwnedStage.Posting;
        }
    }

    public void Posted(string? operationId) => _operation.TrySetResult(operationId);

    public void MarkCreated()
    {
        lock (_gate)
            _stage = OwnedStage.Created;
    }

    /// <summary>
    /// Starts <paramref name="cleanup"/> (given the stage it was reached at) unless one is running or has succeeded;
    /// every caller shares that one. A failed cleanup is started again by the next caller.
    /// </summary>
    public Task CleanupAsync(Func<OwnedStage, Task> cleanup)
    {
        Task task;
        CancellationTokenSource? creating;
        lock (_gate)
        {
            if (_cleanup is null || _cleanup.IsFaulted || _cleanup.IsCanceled)
            {
                var stage = _stage;
                _cleanup = Task.Run(() => cleanup(stage));
            }
            _aborted = true;
            creating = _creating;
            _creating = null;
            task = _cleanup;
        }
        // Outside the lock: cancelling runs the creating call's callbacks on this thread.
        try
        {
            creating?.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The creating call ended (and disposed it) in between: there is nothing left to stop.
        }
        return task;
    }
}

/// <summary>How far an owned sandbox got.</summary>
internal enum OwnedStage
{
    /// <summary>Its create request is not sent yet: there is nothing to delete.</summary>
    Reserved,

    /// <summary>Its create request may have reached the daemon: the instance may exist, or appear once the operation runs.</summary>
    Posting,

    /// <summary>It is ready and handed to the caller as an auto-destroy sandbox.</summary>
    Created,
}
