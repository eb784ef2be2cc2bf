using System.Net.Sockets;

namespace IncusTestKit.Client;

/// <summary>
/// The stream under a websocket: once the daemon has closed the connection, writes are dropped instead of failing.
/// </summary>
/// <remarks>
/// The daemon pings every websocket as soon as it connects, and for a short command it writes the output, a close
/// frame, and closes the socket before the client has read anything. .NET answers the ping (a write) while reading,
/// and a write to a closed socket fails the receive, losing the output still buffered behind the ping. Reads are
/// untouched: everything the daemon sent is still delivered, and a real end of stream still ends the websocket.
/// </remarks>
internal sealed class PeerClosedTolerantStream(Stream inner) : Stream
{
    private volatile bool _peerClosed;

    public override bool CanRead => inner.CanRead;
    public override bool CanSeek => false;
    public override bool CanWrite => inner.CanWrite;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
    public override int Read(Span<byte> buffer) => inner.Read(buffer);
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        inner.ReadAsync(buffer, offset, count, cancellationToken);
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        inner.ReadAsync(buffer, cancellationToken);

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (_peerClosed)
            return;
        try
        {
            inner.Write(buffer);
        }
        catch (IOException e) when (IsPeerClosed(e))
        {
            _peerClosed = true;
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_peerClosed)
            return;
        try
        {
            await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e) when (IsPeerClosed(e))
        {
            _peerClosed = true;
        }
    }

    public override void Flush()
    {
        if (!_peerClosed)
            inner.Flush();
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => _peerClosed ? Task.CompletedTask : inner.FlushAsync(cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            inner.Dispose();
        base.Dispose(disposing);
    }

    private static bool IsPeerClosed(IOException e) =>
        e.InnerException is SocketException { SocketErrorCode: SocketError.Shutdown or SocketError.ConnectionReset or SocketError.ConnectionAborted };
}
