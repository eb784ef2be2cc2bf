using System.Globalization;

namespace IncusTestKit.Cli.Parsing;

/// <summary>Reads byte sizes as people type them: <c>512</c> (bytes), <c>100KB</c>, <c>10MiB</c>, <c>2G</c>; K, M, G and T are powers of 1024.</summary>
internal static class SizeParser
{
    private static readonly (string Unit, long Bytes)[] Units =
    [
        // Longest first, so "kib" is not read as "k" followed by stray letters.
        ("kib", 1L << 10), ("mib", 1L << 20), ("gib", 1L << 30), ("tib", 1L << 40),
        ("kb", 1L << 10), ("mb", 1L << 20), ("gb", 1L << 30), ("tb", 1L << 40),
        ("k", 1L << 10), ("m", 1L << 20), ("g", 1L << 30), ("t", 1L << 40), ("b", 1),
    ];

    /// <summary>Parses a size in bytes.</summary>
    /// <exception cref="FormatException">The text is not a size; the message shows how to write one.</exception>
    public static long Parse(string text)
    {
        var rest = text.Trim().ToLowerInvariant();
        var digits = 0;
        while (digits < rest.Length && (char.IsAsciiDigit(rest[digits]) || rest[digits] == '.'))
            digits++;
        var unit = rest[digits..].Trim();
        var multiplier = unit.Length == 0 ? 1 : Array.Find(Units, u => u.Unit == unit).Bytes;
        if (digits == 0 || multiplier == 0
            || !double.TryParse(rest.AsSpan(0, digits), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number)
            || number * multiplier > long.MaxValue / 2)
        {
            throw new FormatException($"'{text}' is not a size: write a number of bytes, or one with a unit, such as 100KB, 10MiB or 2GB (K, M, G and T are powers of 1024).");
        }
        return (long)Math.Round(number * multiplier);
    }
}
