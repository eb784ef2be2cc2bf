using IncusTestKit.Mounts;

namespace IncusTestKit.Cli.Parsing;

/// <summary>Reads <c>--mount SRC:TARGET[:MODE]</c> and the mount modes <c>--mode</c> accepts.</summary>
internal static class MountSpecParser
{
    private const string Example = "./src:/work:readonly";

    /// <summary><c>overlay</c>, <c>readonly</c> (<c>ro</c>) or <c>readwrite</c> (<c>rw</c>).</summary>
    /// <exception cref="FormatException">Another word.</exception>
    public static MountMode ParseMode(string text) => TryParseMode(text)
        ?? throw new FormatException($"The mount mode '{text}' is not one: use overlay, readonly (ro) or readwrite (rw).");

    /// <summary>
    /// One <c>SRC:TARGET[:MODE][,force]</c>: the host folder (a relative one is taken from <paramref name="baseDirectory"/>), the
    /// absolute path inside the sandbox, and the mode (default overlay); <c>force</c> (alone or after the mode) allows a
    /// system folder as the source.
    /// </summary>
    /// <param name="text">The spec.</param>
    /// <param name="baseDirectory">What a relative source is relative to; the current directory when null.</param>
    /// <exception cref="FormatException">A part is missing, the target is not absolute, or the mode is unknown.</exception>
    public static MountOptions Parse(string text, string? baseDirectory = null)
    {
        var parts = text.Split(':');
        if (parts.Length is < 2 or > 3)
            throw new FormatException($"The mount '{text}' is not SRC:TARGET[:MODE]: write, for example, {Example}.");
        var (source, target) = (parts[0], parts[1]);
        if (source.Length == 0)
            throw new FormatException($"The mount '{text}' has no host folder before the ':': write, for example, {Example}.");
        if (!target.StartsWith('/'))
            throw new FormatException($"The mount '{text}' needs an absolute target in the sandbox (starting with '/'): write, for example, {Example}.");
        var mode = MountMode.Overlay;
        var force = false;
        if (parts.Length == 3)
        {
            var words = parts[2].Split(',');
            force = words.Length > 0 && words[^1].Trim().Equals("force", StringComparison.OrdinalIgnoreCase);
            if (force)
                words = words[..^1];
            if (words.Length > 1 || (words.Length == 1 && TryParseMode(words[0]) is null))
                throw new FormatException($"The mount '{text}' has the unknown mode '{parts[2]}': use overlay, readonly (ro) or readwrite (rw), optionally followed by ,force.");
            if (words.Length == 1)
                mode = TryParseMode(words[0])!.Value;
        }
        return new MountOptions(Absolute(source, baseDirectory), target) { Mode = mode, AllowDangerousSource = force };
    }

    /// <summary>Parses every spec.</summary>
    /// <exception cref="FormatException">A spec is malformed.</exception>
    public static IReadOnlyList<MountOptions> ParseAll(IEnumerable<string> texts, string? baseDirectory = null) =>
        texts.Select(t => Parse(t, baseDirectory)).ToList();

    /// <summary>A host path made absolute from <paramref name="baseDirectory"/> (the current directory when null).</summary>
    public static string Absolute(string path, string? baseDirectory = null) =>
        Path.GetFullPath(path, baseDirectory ?? Environment.CurrentDirectory);

    /// <summary>The word for a mode, as <c>--mode</c> takes it.</summary>
    public static string Format(MountMode mode) => mode switch
    {
        MountMode.ReadOnly => "readonly",
        MountMode.ReadWrite => "readwrite",
        _ => "overlay",
    };

    private static MountMode? TryParseMode(string text) => text.Trim().ToLowerInvariant() switch
    {
        "overlay" => MountMode.Overlay,
        "readonly" or "ro" => MountMode.ReadOnly,
        "readwrite" or "rw" => MountMode.ReadWrite,
        _ => null,
    };
}
