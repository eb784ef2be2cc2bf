using System.CommandLine;

namespace IncusTestKit.Cli.Invocation;

/// <summary>
/// A verb of <c>dotnet isb</c>: a one-line description, examples shown under its help, and a body whose expected
/// failures <see cref="ErrorReporter"/> turns into <c>error:</c> lines. Ctrl-C cancels the token passed to the body.
/// </summary>
internal abstract class VerbCommand : Command
{
    /// <summary>Creates the verb.</summary>
    /// <param name="name">The verb.</param>
    /// <param name="description">One line: what it does.</param>
    protected VerbCommand(string name, string description) : base(name, description)
    {
        SetAction((parseResult, cancellationToken) => ErrorReporter.RunAsync(() => ExecuteAsync(parseResult, cancellationToken), cancellationToken));
    }

    /// <summary>Command lines shown under "Examples:" in the verb's help.</summary>
    public abstract IReadOnlyList<string> Examples { get; }

    /// <summary>Does the work and returns the exit code.</summary>
    protected abstract Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken);
}
