using System.Buffers;

namespace IncusTestKit.Exec;

/// <summary>Collects output up to a limit and counts the rest, so a command printing gigabytes costs no memory.</summary>
internal sealed class CappedBuffer(long limit)
{
    private readonly ArrayBufferWriter<byte> _kept = new();

    public bool Truncated { get; private set; }

    public void Append(ReadOnlySpan<byte> data)
    {
        var room = limit - _kept.WrittenCount;
        if (data.Length > room)
        {
            Truncated = true;
            data = data[..(int)Math.Max(0, room)];
        }
        _kept.Write(data);
    }

    public ReadOnlyMemory<byte> Bytes => _kept.WrittenMemory;
}
