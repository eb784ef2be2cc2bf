using System.Text.Encodings.Web;
using System.Text.Json;

namespace IncusTestKit.Cli.Output;

/// <summary>
/// JSON for machines (<c>--json</c>), written with <see cref="Utf8JsonWriter"/>: no reflection, so the tool stays
/// trimmable. Property names are camelCase; enums are lower-case strings; absent values are null.
/// </summary>
internal static class Json
{
    private static readonly JsonWriterOptions Options = new()
    {
        Indented = true,
        // Readable names and paths ('+', '<', non-ASCII) instead of \u escapes; the output is never embedded in HTML.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Writes one JSON document, then a newline, to standard output.</summary>
    public static void Write(Action<Utf8JsonWriter> write)
    {
        var stdout = Console.OpenStandardOutput();
        using (var writer = new Utf8JsonWriter(stdout, Options))
        {
            write(writer);
        }
        stdout.Write("\n"u8);
        stdout.Flush();
    }

    /// <summary>Writes a number, or null when there is none.</summary>
    public static void WriteNumberOrNull(this Utf8JsonWriter writer, string name, long? value)
    {
        if (value is { } number)
            writer.WriteNumber(name, number);
        else
            writer.WriteNull(name);
    }

    /// <summary>Writes a string-to-string map as an object.</summary>
    public static void WriteMap(this Utf8JsonWriter writer, string name, IReadOnlyDictionary<string, string> map)
    {
        writer.WriteStartObject(name);
        foreach (var (key, value) in map.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            writer.WriteString(key, value);
        writer.WriteEndObject();
    }
}
