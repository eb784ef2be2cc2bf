namespace IncusTestKit.Cli.Output;

/// <summary>An aligned text table for people: upper-case headers, columns two spaces apart, the last one not padded.</summary>
internal sealed class Table(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    /// <summary>The number of rows added.</summary>
    public int Count => _rows.Count;

    /// <summary>Adds a row; a null cell prints as <c>-</c>.</summary>
    public Table Add(params string?[] cells)
    {
        if (cells.Length != headers.Length)
            throw new ArgumentException($"A row needs {headers.Length} cells, not {cells.Length}.", nameof(cells));
        _rows.Add(cells.Select(c => string.IsNullOrEmpty(c) ? "-" : Clean(c)).ToArray());
        return this;
    }

    /// <summary>Writes the headers and the rows.</summary>
    public void WriteTo(TextWriter writer)
    {
        var widths = headers.Select((h, i) => _rows.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
        WriteRow(writer, headers, widths);
        foreach (var row in _rows)
            WriteRow(writer, row, widths);
    }

    private static void WriteRow(TextWriter writer, string[] cells, int[] widths)
    {
        for (var i = 0; i < cells.Length; i++)
        {
            if (i == cells.Length - 1)
            {
                writer.Write(cells[i]);
                break;
            }
            writer.Write(cells[i].PadRight(widths[i] + 2));
        }
        writer.WriteLine();
    }

    // A cell is one line: control characters (a label value with a newline) would break the alignment.
    private static string Clean(string cell) => string.Concat(cell.Select(c => char.IsControl(c) ? ' ' : c));
}
