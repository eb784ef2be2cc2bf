using System.Globalization;

namespace IncusTestKit.Cli.Parsing;

/// <summary>
/// Reads durations as people type them: <c>500ms</c>, <c>2s</c>, <c>5m</c>, <c>1h</c>, <c>1d</c>, combinations such as
/// <c>1m30s</c>, and a bare number (<c>10</c>, <c>1.5</c>), which is seconds.
/// </summary>
internal static class DurationParser
{
    private static readonly (string Unit, double Seconds)[] Units =
    [
        // Longest first, so "ms" is not read as "m" followed by a stray "s".
        ("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400),
    ];

    /// <summary>Parses a duration.</summary>
    /// <exception cref="FormatException">The text is not a duration; the message shows how to write one.</exception>
    public static TimeSpan Parse(string text) =>
        TryParse(text, out var value) ? value : throw new FormatException(ErrorFor(text));

    /// <summary>Parses a duration, or returns false.</summary>
    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = default;
        var rest = text?.Trim().ToLowerInvariant() ?? "";
        if (rest.Length == 0)
            return false;
        if (double.TryParse(rest, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var bare))
            return TryFromSeconds(bare, out value);

        double total = 0;
        var lastUnit = double.MaxValue;
        while (rest.Length > 0)
        {
            var digits = 0;
            while (digits < rest.Length && (char.IsAsciiDigit(rest[digits]) || rest[digits] == '.'))
                digits++;
            if (digits == 0 || !double.TryParse(rest.AsSpan(0, digits), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
                return false;
            rest = rest[digits..];
            var unit = Array.Find(Units, u => rest.StartsWith(u.Unit, StringComparison.Ordinal));
            // Each part needs a unit, and units go from large to small (1m30s, not 30s1m or 1m2m).
            if (unit.Unit is null || unit.Seconds >= lastUnit)
                return false;
            lastUnit = unit.Seconds;
            total += number * unit.Seconds;
            rest = rest[unit.Unit.Length..];
        }
        return TryFromSeconds(total, out value);
    }

    /// <summary>The error message for text that is not a duration.</summary>
    public static string ErrorFor(string? text) =>
        $"'{text}' is not a duration: write a number with a unit, such as 500ms, 2s, 5m, 1h or 1m30s (a bare number is seconds).";

    private static bool TryFromSeconds(double seconds, out TimeSpan value)
    {
        value = default;
        if (double.IsNaN(seconds) || seconds < 0 || seconds > TimeSpan.MaxValue.TotalSeconds / 2)
            return false;
        value = TimeSpan.FromMilliseconds(Math.Round(seconds * 1000));
        return true;
    }
}
