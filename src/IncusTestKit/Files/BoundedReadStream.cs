using IncusTestKit.Client;

namespace IncusTestKit.Files;

/// <summary>Reads at most <c>limit</c> bytes of a stream (then reports its end), so a file that grows while it is sent cannot send more than it had.</summary>
internal sealed class BoundedReadStream(Stream inner, long limit) : ReadOnlyStreamWrapper(inner)
{
    /// <summary>The bytes read so far.</summary>
    public long BytesRead { get; private set; }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var read = Inner.Read(buffer[..Allowed(buffer.Length)]);
        BytesRead += read;
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await Inner.ReadAsync(buffer[..Allowed(buffer.Length)], cancellationToken).ConfigureAwait(false);
        BytesRead += read;
        return read;
    }

    private int Allowed(int wanted) => (int)Math.Min(wanted, limit - BytesRead);
}
