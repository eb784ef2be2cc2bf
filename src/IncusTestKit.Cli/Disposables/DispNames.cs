using System.Globalization;
using System.Security.Cryptography;

namespace IncusTestKit.Cli.Disposables;

/// <summary>
/// Names of disposable sandboxes: <c>disp-YYYYMMDD-HHMMSS-xxxx</c>, the local start time for people and four random
/// letters or digits so that tools started in the same second (a CI host runs dozens at once) pick different names.
/// </summary>
internal static class DispNames
{
    /// <summary>What every disposable sandbox's name starts with.</summary>
    public const string Prefix = "disp-";

    /// <summary>How many names are tried before giving up (a clash needs the same second and the same suffix).</summary>
    public const int Attempts = 5;

    private const string SuffixAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

    /// <summary>A new name for a start at <paramref name="time"/>; each call draws another suffix.</summary>
    public static string For(DateTime time) =>
        $"{Prefix}{time.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}-{RandomNumberGenerator.GetString(SuffixAlphabet, 4)}";
}
