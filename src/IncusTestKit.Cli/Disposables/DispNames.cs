using System.Globalization;

namespace IncusTestKit.Cli.Disposables;

/// <summary>
/// Names of disposable sandboxes: <c>disp-YYYYMMDD-HHMMSS</c> in local time; when that name is taken (two started in
/// the same second), <c>-2</c>, <c>-3</c>... is added.
/// </summary>
internal static class DispNames
{
    /// <summary>What every disposable sandbox's name starts with.</summary>
    public const string Prefix = "disp-";

    /// <summary>How many names are tried before giving up.</summary>
    public const int Attempts = 20;

    /// <summary>The name for a start at <paramref name="time"/>; <paramref name="attempt"/> counts from 1.</summary>
    public static string For(DateTime time, int attempt)
    {
        var name = Prefix + time.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        return attempt <= 1 ? name : $"{name}-{attempt.ToString(CultureInfo.InvariantCulture)}";
    }
}
