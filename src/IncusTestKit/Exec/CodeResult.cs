using IncusTestKit.Errors;

namespace IncusTestKit.Exec;

/// <summary>What a piece of code did when it ran. A non-zero exit code is a result, not an exception; <see cref="EnsureSuccess"/> demands success.</summary>
public sealed record CodeResult
{
    /// <summary>The language it ran as.</summary>
    public required CodeLanguage Language { get; init; }

    /// <summary>The interpreter's exit code.</summary>
    public required int ExitCode { get; init; }

    /// <summary>Standard output and standard error together, in the order they were produced.</summary>
    public required string Output { get; init; }

    /// <summary>How long the run took, including writing and removing the code file.</summary>
    public required TimeSpan Duration { get; init; }

    /// <summary>Whether the output went over the output limit and was cut.</summary>
    public bool Truncated { get; init; }

    /// <summary>Whether the exit code is 0.</summary>
    public bool Succeeded => ExitCode == 0;

    /// <summary>Returns this result when the exit code is 0.</summary>
    /// <exception cref="CommandFailedException">The exit code is not 0; the message holds the language and the end of the output.</exception>
    public CodeResult EnsureSuccess() =>
        Succeeded ? this : throw ExecResult.Failure($"{Language} code", ExitCode, "output", Output);
}
