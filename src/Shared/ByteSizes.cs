using System.Text.RegularExpressions;

namespace IncusTestKit.Shared;

/// <summary>
/// Checks sizes written in Incus's units before they reach the daemon, which would only fail late. Compiled into the
/// SDK and into the MSBuild tasks, so a task refuses a bad size by the same rule, naming its own parameter, before it
/// creates anything.
/// </summary>
internal static partial class ByteSizes
{
    [GeneratedRegex(@"^\d+(\.\d+)?(B|kB|KB|MB|GB|TB|PB|KiB|MiB|GiB|TiB|PiB)?$")]
    private static partial Regex Size();

    [GeneratedRegex(@"^\d{1,3}%$")]
    private static partial Regex Percent();

    // Incus's units: kB, MB... are powers of 1000 (KB too), KiB, MiB... powers of 1024.
    private static readonly Dictionary<string, double> Units = new(StringComparer.Ordinal)
    {
        [""] = 1, ["B"] = 1,
        ["kB"] = 1e3, ["KB"] = 1e3, ["MB"] = 1e6, ["GB"] = 1e9, ["TB"] = 1e12, ["PB"] = 1e15,
        ["KiB"] = 1L << 10, ["MiB"] = 1L << 20, ["GiB"] = 1L << 30, ["TiB"] = 1L << 40, ["PiB"] = 1L << 50,
    };

    /// <summary>The bytes a size validated by <see cref="Validate"/> stands for; null for a percentage.</summary>
    public static double? ToBytes(string validated)
    {
        if (validated.EndsWith('%'))
            return null;
        var digits = validated.TakeWhile(c => char.IsAsciiDigit(c) || c == '.').Count();
        return double.Parse(validated[..digits], System.Globalization.CultureInfo.InvariantCulture) * Units[validated[digits..]];
    }

    /// <summary>Whether <paramref name="value"/> is a size (or, when allowed, a percentage).</summary>
    public static bool IsValid(string value, bool allowPercent) =>
        Size().IsMatch(value.Trim()) || (allowPercent && Percent().IsMatch(value.Trim()));

    /// <summary>How to write a size, for an error about one that is not.</summary>
    public static string Rule(bool allowPercent) =>
        $"write a number with a unit such as 512MiB, 2GiB or 500MB{(allowPercent ? ", or a percentage such as 25%" : "")}.";

    /// <summary>The size, trimmed.</summary>
    /// <exception cref="ArgumentException">It is not a size; the parameter name is <paramref name="what"/>.</exception>
    public static string Validate(string value, string what, bool allowPercent) =>
        IsValid(value, allowPercent) ? value.Trim() : throw new ArgumentException($"{what} '{value}' is not a size: {Rule(allowPercent)}", what);
}
