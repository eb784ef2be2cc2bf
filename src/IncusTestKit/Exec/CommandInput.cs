using System.Text;

namespace IncusTestKit.Exec;

/// <summary>Standard input for a command: text, bytes or a stream, sent in full followed by end-of-file.</summary>
public sealed class CommandInput
{
    private readonly Func<Stream> _open;

    private CommandInput(Func<Stream> open) => _open = open;

    /// <summary>UTF-8 text.</summary>
    public static CommandInput FromString(string text) => FromBytes(Encoding.UTF8.GetBytes(text));

    /// <summary>Raw bytes, sent exactly.</summary>
    public static CommandInput FromBytes(ReadOnlyMemory<byte> bytes) => new(() => new MemoryStream(bytes.ToArray(), writable: false));

    /// <summary>A stream, read to its end (and not disposed).</summary>
    public static CommandInput FromStream(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return new CommandInput(() => stream);
    }

    /// <summary>Text.</summary>
    public static implicit operator CommandInput(string text) => FromString(text);

    /// <summary>Bytes.</summary>
    public static implicit operator CommandInput(byte[] bytes) => FromBytes(bytes);

    internal Stream Open() => _open();
}
