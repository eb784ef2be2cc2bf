using System.Text;

namespace IncusTestKit.Diagnostics;

/// <summary>
/// A command's argv as a log shows it: shell-quoted where needed and cut to <see cref="MaxLength"/> characters. A struct
/// that formats only when a message is written, so a disabled logger costs nothing.
/// </summary>
internal readonly struct CommandText(IReadOnlyList<string> argv)
{
    /// <summary>A script passed with <c>sh -c</c> can be long; a log line needs its start.</summary>
    public const int MaxLength = 200;

    public override string ToString()
    {
        var text = new StringBuilder();
        foreach (var arg in argv)
        {
            if (text.Length > 0)
                text.Append(' ');
            if (arg.Length > 0 && arg.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=:,+@%".Contains(c)))
                text.Append(arg);
            else
                text.Append('\'').Append(arg.Replace("'", "'\\''", StringComparison.Ordinal)).Append('\'');
            if (text.Length > MaxLength)
                return string.Concat(text.ToString(0, MaxLength), "...");
        }
        return text.ToString();
    }
}
