namespace IncusTestKit.Cli.Output;

/// <summary>Aligned <c>Key:  value</c> lines for one object (<c>dotnet isb info</c>).</summary>
internal sealed class KeyValueBlock
{
    private readonly List<(string Key, string Value)> _lines = [];

    /// <summary>Adds a line; a null or empty value prints as <c>-</c>.</summary>
    public KeyValueBlock Add(string key, string? value)
    {
        _lines.Add((key, string.IsNullOrEmpty(value) ? "-" : value));
        return this;
    }

    /// <summary>Writes the lines with the values aligned.</summary>
    public void WriteTo(TextWriter writer)
    {
        var width = _lines.Count == 0 ? 0 : _lines.Max(l => l.Key.Length) + 1;
        foreach (var (key, value) in _lines)
            writer.WriteLine($"{(key + ":").PadRight(width)}  {value}");
    }
}
