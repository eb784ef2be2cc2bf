namespace IncusTestKit.Cli.Interactive;

/// <summary>
/// The console's detach keys, as <c>incus console</c> has them: Ctrl-a then q detaches; Ctrl-a twice (or Ctrl-a a)
/// sends one Ctrl-a; Ctrl-a then anything else sends both. Keystrokes may arrive split across reads.
/// </summary>
internal sealed class ConsoleEscape
{
    /// <summary>Ctrl-a.</summary>
    public const byte Prefix = 0x01;

    private bool _pending;

    /// <summary>Whether the detach keys were pressed; nothing after them is passed on.</summary>
    public bool Detached { get; private set; }

    /// <summary>Filters keystrokes: the bytes to send to the console.</summary>
    public byte[] Filter(ReadOnlySpan<byte> input)
    {
        var output = new List<byte>(input.Length);
        foreach (var b in input)
        {
            if (Detached)
                break;
            if (!_pending)
            {
                if (b == Prefix)
                    _pending = true;
                else
                    output.Add(b);
                continue;
            }
            _pending = false;
            switch (b)
            {
                case (byte)'q':
                    Detached = true;
                    break;
                case Prefix or (byte)'a':
                    output.Add(Prefix);
                    break;
                default:
                    output.Add(Prefix);
                    output.Add(b);
                    break;
            }
        }
        return output.ToArray();
    }
}
