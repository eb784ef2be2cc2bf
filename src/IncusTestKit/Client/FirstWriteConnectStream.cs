namespace IncusTestKit.Client;

/// <summary>
/// A connection that reaches the daemon only when the first request is written to it.
/// </summary>
/// <remarks>
/// The daemon's Unix socket listener reads the first bytes of each new connection inside its accept loop (to tell
/// STARTTLS from HTTP), so a connection that is open but silent stops the daemon from accepting any other connection,
/// from every process, until it sends or closes. .NET's connection pool makes exactly such connections: a request
/// that waits for a connection starts one, and when another connection frees up first, the new one goes to the pool
/// unused. With a 15 s idle timeout that froze parallel creates for 15-20 s. Connecting on the first write means an
/// unused pooled connection never exists for the daemon, and a used one always starts with a request.
/// </remarks>
internal sealed class FirstWriteConnectStream(Func<CancellationToken, ValueTask<Stream>> connect) : Stream
{
    private readonly TaskCompletionSource<Stream> _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _connecting;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var stream = await ConnectedAsync(cancellationToken).ConfigureAwait(false);
        await stream.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) =>
        WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    // A read before the first write (the pool's liveness read-ahead) waits for the connection the write makes.
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var stream = await _connected.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        return await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (_connected.Task.IsCompletedSuccessfully)
            await _connected.Task.Result.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    private async ValueTask<Stream> ConnectedAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _connecting, 1) == 0)
        {
            try
            {
                var stream = await connect(cancellationToken).ConfigureAwait(false);
                if (!_connected.TrySetResult(stream))
                    await stream.DisposeAsync().ConfigureAwait(false); // disposed while connecting
            }
            catch (Exception e)
            {
                _connected.TrySetException(e);
            }
        }
        return await _connected.Task.ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            // A pending read-ahead on a connection that never connected ends as a closed connection.
            if (!_connected.TrySetException(new ObjectDisposedException(nameof(FirstWriteConnectStream))))
            {
                if (_connected.Task.IsCompletedSuccessfully)
                    _connected.Task.Result.Dispose();
            }
            else
            {
                _ = _connected.Task.Exception; // observed: nobody else may ever look at it
            }
        }
        base.Dispose(disposing);
    }
}
