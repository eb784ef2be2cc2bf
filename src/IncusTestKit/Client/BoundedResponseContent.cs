using System.Net;

namespace IncusTestKit.Client;

/// <summary>
/// A response body whose every read is bounded by the daemon timeout: a body of any size streams as long as bytes keep
/// coming, and one the daemon stops sending ends in <see cref="Errors.IncusUnavailableException"/>. A read ends only
/// when the daemon sends, so the caller's own pace (a slow consumer) never counts against the daemon.
/// </summary>
internal sealed class BoundedResponseContent : HttpContent
{
    private readonly HttpContent _inner;
    private readonly IncusTransport _transport;
    private readonly string? _what;
    private readonly string _request;
    private readonly TimeSpan _bound;

    /// <param name="inner">The body as it comes off the connection.</param>
    /// <param name="transport">Turns a failed read into the error a user can act on.</param>
    /// <param name="what">What the call is for, for that error.</param>
    /// <param name="request">The request, for that error.</param>
    /// <param name="bound">How long each read may wait for the daemon.</param>
    public BoundedResponseContent(HttpContent inner, IncusTransport transport, string? what, string request, TimeSpan bound)
    {
        _inner = inner;
        _transport = transport;
        _what = what;
        _request = request;
        _bound = bound;
        foreach (var (name, values) in inner.Headers)
            Headers.TryAddWithoutValidation(name, values);
    }

    protected override async Task<Stream> CreateContentReadStreamAsync(CancellationToken cancellationToken) =>
        new DeadlineReadStream(await _inner.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), this);

    protected override Task<Stream> CreateContentReadStreamAsync() => CreateContentReadStreamAsync(CancellationToken.None);

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        var body = await CreateContentReadStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (body.ConfigureAwait(false))
            await body.CopyToAsync(stream, cancellationToken).ConfigureAwait(false);
    }

    // The Content-Length header, when the daemon sent one, was copied above.
    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            _inner.Dispose();
        base.Dispose(disposing);
    }

    private sealed class DeadlineReadStream(Stream inner, BoundedResponseContent content) : ReadOnlyStreamWrapper(inner)
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            using var deadline = new DaemonDeadline(content._bound, cancellationToken);
            try
            {
                return await Inner.ReadAsync(buffer, deadline.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException && !cancellationToken.IsCancellationRequested)
            {
                throw deadline.Expired
                    ? content._transport.NotAnswering(content._what, $"reading the answer to {content._request}", deadline.Bound, e)
                    : content._transport.Unavailable(e);
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        // Synchronous reads take the same bounded path: a blocking read could not be bounded at all.
        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
    }
}
