using System.Text;
using IncusTestKit.Errors;

namespace IncusTestKit.Exec;

/// <summary>What a command did. A non-zero exit code is a result, not an exception; <see cref="EnsureSuccess"/> demands success.</summary>
public sealed record ExecResult
{
    /// <summary>The command as it was run (argv).</summary>
    public required IReadOnlyList<string> Command { get; init; }

    /// <summary>The exit code; 128+N when a signal N ended it, 127 when it was not found (see <see cref="CommandNotFound"/>).</summary>
    public required int ExitCode { get; init; }

    /// <summary>
    /// Whether the program was not found in the sandbox, so nothing ran (<see cref="ExitCode"/> is then 127 and stderr
    /// says <c>PROGRAM: command not found</c>). False when the program ran and itself exited with 127.
    /// </summary>
    public bool CommandNotFound { get; init; }

    /// <summary>Standard output, bytes as produced (up to the output limit).</summary>
    public required ReadOnlyMemory<byte> StdoutBytes { get; init; }

    /// <summary>Standard error, bytes as produced (up to the output limit).</summary>
    public required ReadOnlyMemory<byte> StderrBytes { get; init; }

    /// <summary>How long it took, from the request to the exit code.</summary>
    public required TimeSpan Duration { get; init; }

    /// <summary>Whether stdout or stderr went over the output limit and was cut.</summary>
    public bool Truncated { get; init; }

    /// <summary>Standard output as UTF-8 text.</summary>
    public string Stdout => Encoding.UTF8.GetString(StdoutBytes.Span);

    /// <summary>Standard error as UTF-8 text.</summary>
    public string Stderr => Encoding.UTF8.GetString(StderrBytes.Span);

    /// <summary>Whether the exit code is 0.</summary>
    public bool Succeeded => ExitCode == 0;

    /// <summary>Returns this result when the exit code is 0.</summary>
    /// <exception cref="CommandFailedException">The exit code is not 0; the message holds the command and the end of stderr.</exception>
    public ExecResult EnsureSuccess() =>
        Succeeded ? this
        : CommandNotFound ? throw new CommandFailedException($"Command '{string.Join(' ', Command)}' did not run: the program '{Command[0]}' was not found in the sandbox (exit code 127). Give its full path, or install it in the image.")
        : throw Failure($"Command '{string.Join(' ', Command)}'", ExitCode, "stderr", Stderr);

    /// <summary>The error of a run that had to succeed: what ran, its exit code, and the end of what it printed.</summary>
    internal static CommandFailedException Failure(string what, int exitCode, string stream, string text)
    {
        text = text.Trim();
        if (text.Length > 2000)
            text = "..." + text[^2000..];
        return new CommandFailedException($"{what} exited with code {exitCode}.{(text.Length > 0 ? $" {stream}: {text}" : "")}");
    }
}
