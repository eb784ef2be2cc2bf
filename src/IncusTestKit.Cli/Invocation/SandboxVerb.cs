using System.CommandLine;
using IncusTestKit.Sandboxes;

namespace IncusTestKit.Cli.Invocation;

/// <summary>
/// The shape of a verb that acts on one sandbox (<c>dotnet isb info web</c>): the sandbox's name is its first
/// argument, and the body gets the sandbox itself, found through a client configured by the global options. A
/// sandbox that does not exist is the usual error line before the body runs.
/// </summary>
internal abstract class SandboxVerb : VerbCommand
{
    private readonly Argument<string> _name = CommonOptions.Name();

    /// <summary>Creates the verb with the name argument first; the verb adds its own arguments after it.</summary>
    /// <param name="name">The verb.</param>
    /// <param name="description">One line: what it does.</param>
    protected SandboxVerb(string name, string description) : base(name, description)
    {
        Arguments.Add(_name);
    }

    /// <inheritdoc />
    protected sealed override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        await using var client = GlobalOptions.CreateClient(parseResult);
        var sandbox = await client.GetByNameAsync(parseResult.GetValue(_name)!, cancellationToken);
        return await ExecuteAsync(parseResult, sandbox, cancellationToken);
    }

    /// <summary>Does the work on the sandbox and returns the exit code.</summary>
    protected abstract Task<int> ExecuteAsync(ParseResult parseResult, Sandbox sandbox, CancellationToken cancellationToken);
}
