using System.Text;
using IncusTestKit.Files;

namespace IncusTestKit.Cli.Output;

/// <summary>Prints what a push or pull left out as <c>warning:</c> lines on standard error, one per entry.</summary>
internal static class SkippedEntries
{
    public static void Warn(FileTransferReport report)
    {
        foreach (var entry in report.Skipped)
            Console.Error.WriteLine($"warning: {Printable(entry.Path)}: {Printable(entry.Message)}");
    }

    /// <summary>
    /// A name as one safe line: a sandbox chooses its names, and a newline or an escape sequence in one must not
    /// forge another line or drive the terminal.
    /// </summary>
    public static string Printable(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (char.IsControl(c))
                builder.Append(c switch { '\n' => "\\n", '\r' => "\\r", '\t' => "\\t", _ => $"\\x{(int)c:x2}" });
            else
                builder.Append(c);
        }
        return builder.ToString();
    }
}
