namespace IncusTestKit.AgentProtocol;

/// <summary>
/// A flow-control window of one command's stream, compiled into both ends of the agent's protocol: the sender takes
/// credit before it sends bytes and the receiver gives it back (an acknowledgement frame) once it has consumed them, so
/// no more than <c>size</c> bytes are ever in flight or held. The side that checks a peer's traffic takes with
/// <see cref="TryTake"/>: a peer that sends beyond its credit, or acknowledges more than it was sent, breaks the protocol.
/// </summary>
internal sealed class FlowWindow(int size)
{
    private readonly Lock _lock = new();
    private readonly int _size = size;
    private int _available = size;
    private TaskCompletionSource? _released;
    private bool _closed;
    private Exception? _failure;

    /// <summary>
    /// Takes between 1 and <paramref name="most"/> bytes of credit, waiting for some to come back if there is none; 0
    /// once the window is closed (nothing more is wanted); throws the failure it was closed with.
    /// </summary>
    public async ValueTask<int> TakeAsync(int most, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task released;
            lock (_lock)
            {
                if (_failure is not null)
                    throw _failure;
                if (_closed)
                    return 0;
                if (_available > 0)
                {
                    var taken = Math.Min(most, _available);
                    _available -= taken;
                    return taken;
                }
                _released ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                released = _released.Task;
            }
            await released.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Takes exactly <paramref name="count"/> bytes of credit without waiting; false when there is not that much.</summary>
    public bool TryTake(int count)
    {
        lock (_lock)
        {
            if (count < 0 || count > _available)
                return false;
            _available -= count;
            return true;
        }
    }

    /// <summary>Gives credit back; false when <paramref name="count"/> is not positive or more than was taken.</summary>
    public bool Release(int count)
    {
        TaskCompletionSource? released;
        lock (_lock)
        {
            if (count <= 0 || count > _size - _available)
                return false;
            _available += count;
            released = _released;
            _released = null;
        }
        released?.TrySetResult();
        return true;
    }

    /// <summary>Ends the window: waiting and later takes return 0, or throw <paramref name="failure"/> when there is one.</summary>
    public void Close(Exception? failure = null)
    {
        TaskCompletionSource? released;
        lock (_lock)
        {
            _closed = true;
            _failure ??= failure;
            released = _released;
            _released = null;
        }
        released?.TrySetResult();
    }
}
