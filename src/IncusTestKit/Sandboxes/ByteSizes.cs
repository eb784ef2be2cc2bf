using System.Text.RegularExpressions;

namespace IncusTestKit.Sandboxes;

/// <summary>Checks sizes written in Incus's units before they reach the daemon, which would only fail late.</summary>
internal static partial class ByteSizes
{
    [GeneratedRegex(@"^\d+(\.\d+)?(B|kB|KB|MB|GB|TB|PB|KiB|MiB|GiB|TiB|PiB)?$")]
    private static partial Regex Size();

    [GeneratedRegex(@"^\d{1,3}%$")]
    private static partial Regex Percent();

    public static string Validate(string value, string what, bool allowPercent)
    {
        var text = value.Trim();
        if (Size().IsMatch(text) || (allowPercent && Percent().IsMatch(text)))
            return text;
        throw new ArgumentException(
            $"{what} '{value}' is not a size: write a number with a unit such as 512MiB, 2GiB or 500MB{(allowPercent ? ", or a percentage such as 25%" : "")}.", what);
    }
}
