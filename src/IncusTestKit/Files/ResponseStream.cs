using IncusTestKit.Client;

namespace IncusTestKit.Files;

/// <summary>A file's body as it arrives from the daemon; disposing it ends the response (and frees the connection).</summary>
internal sealed class ResponseStream(HttpResponseMessage response, Stream body) : ReadOnlyStreamWrapper(body)
{
    public override long Length => response.Content.Headers.ContentLength ?? throw new NotSupportedException();

    public override int Read(byte[] buffer, int offset, int count) => Inner.Read(buffer, offset, count);
    public override int Read(Span<byte> buffer) => Inner.Read(buffer);
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Inner.ReadAsync(buffer, offset, count, cancellationToken);
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Inner.ReadAsync(buffer, cancellationToken);
    public override Task CopyToAsync(Stream destination, int bufferSize, CancellationToken cancellationToken) =>
        Inner.CopyToAsync(destination, bufferSize, cancellationToken);

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
            response.Dispose();
    }
}
