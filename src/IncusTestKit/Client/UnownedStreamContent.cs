using System.Net;

namespace IncusTestKit.Client;

/// <summary>
/// A request body read from a stream the caller keeps: unlike <see cref="StreamContent"/>, disposing the request
/// leaves the stream open. The bytes go out as they are read, so large files are never held in memory.
/// </summary>
internal sealed class UnownedStreamContent(Stream stream) : HttpContent
{
    protected override Task SerializeToStreamAsync(Stream target, TransportContext? context) =>
        SerializeToStreamAsync(target, context, CancellationToken.None);

    protected override Task SerializeToStreamAsync(Stream target, TransportContext? context, CancellationToken cancellationToken) =>
        stream.CopyToAsync(target, 81920, cancellationToken);

    protected override bool TryComputeLength(out long length)
    {
        if (stream.CanSeek)
        {
            length = Math.Max(0, stream.Length - stream.Position);
            return true;
        }
        length = 0;
        return false;
    }
}
