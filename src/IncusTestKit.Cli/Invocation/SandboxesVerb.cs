using System.CommandLine;
using IncusTestKit.Sandboxes;

namespace IncusTestKit.Cli.Invocation;

/// <summary>
/// The shape of a verb that does one thing to each of several sandboxes (<c>dotnet isb stop a b c</c>): the names
/// are its arguments, and <see cref="EachSandbox"/> runs the action for each, reports each and sets the exit code.
/// </summary>
internal abstract class SandboxesVerb : VerbCommand
{
    private readonly Argument<string[]> _names = CommonOptions.Names();
    private readonly string _done;

    /// <summary>Creates the verb with the names argument.</summary>
    /// <param name="name">The verb.</param>
    /// <param name="description">One line: what it does.</param>
    /// <param name="done">What was done, for the confirmation of each sandbox ("Stopped").</param>
    protected SandboxesVerb(string name, string description, string done) : base(name, description)
    {
        _done = done;
        Arguments.Add(_names);
    }

    /// <inheritdoc />
    protected sealed override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        await using var client = GlobalOptions.CreateClient(parseResult);
        return await EachSandbox.RunAsync(parseResult.GetValue(_names)!, _done,
            (name, ct) => ActAsync(parseResult, client, name, ct), cancellationToken);
    }

    /// <summary>Does the work on one sandbox; an expected failure is reported for that name and the others go on.</summary>
    protected abstract Task ActAsync(ParseResult parseResult, SandboxClient client, string name, CancellationToken cancellationToken);
}
