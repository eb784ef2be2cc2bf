namespace IncusTestKit.Exec;

/// <summary>How to start an interactive program on a pseudo-terminal in a sandbox.</summary>
public sealed record TerminalOptions
{
    /// <summary>Columns of the terminal. Default: 80.</summary>
    public int Width { get; init; } = 80;

    /// <summary>Rows of the terminal. Default: 24.</summary>
    public int Height { get; init; } = 24;

    /// <summary>The <c>TERM</c> the program sees (the daemon sets none). Default: <c>xterm-256color</c>.</summary>
    public string Term { get; init; } = "xterm-256color";

    /// <summary>The working directory. Default: the user's home, else <c>/</c>.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>Environment variables added to the sandbox's own.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>The user to run as (name or uid). Default: root.</summary>
    public string? User { get; init; }
}
