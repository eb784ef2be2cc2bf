namespace IncusTestKit.Exec;

/// <summary>How each language is run: the file extension and the interpreter's argv before the file.</summary>
internal static class CodeRunners
{
    public static (string Extension, string[] Interpreter) Of(CodeLanguage language) => language switch
    {
        CodeLanguage.Python => (".py", ["python3"]),
        CodeLanguage.Node => (".js", ["node"]),
        CodeLanguage.Bash => (".sh", ["bash"]),
        CodeLanguage.Ruby => (".rb", ["ruby"]),
        CodeLanguage.Go => (".go", ["go", "run"]),
        _ => throw new ArgumentOutOfRangeException(nameof(language), language, "Unknown language."),
    };

    /// <summary>
    /// A fixed wrapper, with the interpreter and file as its arguments: it merges stderr into stdout (so the output
    /// keeps the order it was produced in) and reports a missing interpreter on its own stderr with a marker.
    /// </summary>
    public const string MissingMarker = "isb-interpreter-missing";

    public const string Wrapper = "command -v \"$0\" >/dev/null 2>&1 || { echo " + MissingMarker + " >&2; exit 127; }; exec \"$0\" \"$@\" 2>&1";
}
