using IncusTestKit.Exec;

namespace IncusTestKit.Cli.Parsing;

/// <summary>Language names and file extensions for <c>dotnet isb run</c>.</summary>
internal static class LanguageParser
{
    /// <summary>The names <c>--language</c> accepts, as shown in help.</summary>
    public const string Names = "python (py, python3), node (js, javascript), bash (sh), ruby (rb), go";

    /// <summary>Reads a language name or alias, in any case.</summary>
    /// <exception cref="FormatException">The name is not a known language.</exception>
    public static CodeLanguage Parse(string name) => TryParse(name, out var language)
        ? language
        : throw new FormatException($"Unknown language '{name}': use {Names}.");

    /// <summary>Reads a language name or alias, or returns false.</summary>
    public static bool TryParse(string? name, out CodeLanguage language)
    {
        CodeLanguage? found = name?.Trim().ToLowerInvariant() switch
        {
            "python" or "python3" or "py" => CodeLanguage.Python,
            "node" or "nodejs" or "javascript" or "js" => CodeLanguage.Node,
            "bash" or "sh" => CodeLanguage.Bash,
            "ruby" or "rb" => CodeLanguage.Ruby,
            "go" or "golang" => CodeLanguage.Go,
            _ => null,
        };
        language = found ?? default;
        return found is not null;
    }

    /// <summary>The language a file's extension implies (<c>.py</c>, <c>.js</c>, <c>.mjs</c>, <c>.sh</c>, <c>.rb</c>, <c>.go</c>), if any.</summary>
    public static CodeLanguage? FromFileName(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".py" => CodeLanguage.Python,
        ".js" or ".mjs" or ".cjs" => CodeLanguage.Node,
        ".sh" or ".bash" => CodeLanguage.Bash,
        ".rb" => CodeLanguage.Ruby,
        ".go" => CodeLanguage.Go,
        _ => null,
    };
}
