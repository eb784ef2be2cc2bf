using System.Net;

namespace IncusTestKit.Client;

/// <summary>
/// A request body whose writes to the daemon are each bounded by the daemon deadline, while reading the caller's source
/// is not: a slow source (a pipe, a user's stream) is not the daemon's fault, and a daemon that stops taking bytes is
/// noticed whatever the size of the body. Once the body is sent, the deadline runs again until the answer arrives.
/// </summary>
internal sealed class BoundedRequestContent : HttpContent
{
    private readonly HttpContent _inner;
    private readonly DaemonDeadline _deadline;

    public BoundedRequestContent(HttpContent inner, DaemonDeadline deadline)
    {
        _inner = inner;
        _deadline = deadline;
        foreach (var (name, values) in inner.Headers)
            Headers.TryAddWithoutValidation(name, values);
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        _deadline.Pause();
        await _inner.CopyToAsync(new WatchedStream(stream, _deadline), context, cancellationToken).ConfigureAwait(false);
        _deadline.Arm();
    }

    protected override bool TryComputeLength(out long length)
    {
        // The getter asks the inner content to compute its length when no header set it.
        var known = _inner.Headers.ContentLength;
        length = known ?? 0;
        return known is not null;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            _inner.Dispose();
        base.Dispose(disposing);
    }

    /// <summary>The connection as the body sees it: the deadline runs only while a write is on its way to the daemon.</summary>
    private sealed class WatchedStream(Stream inner, DaemonDeadline deadline) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            deadline.Arm();
            inner.Write(buffer);
            deadline.Pause();
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            deadline.Arm();
            await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            deadline.Pause();
        }

        public override void Flush()
        {
            deadline.Arm();
            inner.Flush();
            deadline.Pause();
        }

        public override async Task FlushAsync(CancellationToken cancellationToken)
        {
            deadline.Arm();
            await inner.FlushAsync(cancellationToken).ConfigureAwait(false);
            deadline.Pause();
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
