using System.CommandLine;
using IncusTestKit.Cli.Invocation;

namespace IncusTestKit.Cli.Commands;

/// <summary><c>dotnet isb restart &lt;name&gt;...</c>: restarts sandboxes (a stopped one is started).</summary>
internal sealed class RestartCommand : VerbCommand
{
    private readonly Argument<string[]> _names = CommonOptions.Names();

    private readonly Option<bool> _force = new("--force", "-f")
    {
        Description = "Kill it instead of a clean shutdown",
    };

    private readonly Option<TimeSpan?> _timeout = CommonOptions.Duration("--timeout",
        "How long the clean shutdown may take before it fails [default: no limit]", allowZero: false, "-t");

    public RestartCommand() : base("restart", "Restart one or more sandboxes (a stopped one is started)")
    {
        Arguments.Add(_names);
        Options.Add(_force);
        Options.Add(_timeout);
    }

    public override IReadOnlyList<string> Examples { get; } =
    [
        "dotnet isb restart web",
        "dotnet isb restart web --force",
    ];

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var force = parseResult.GetValue(_force);
        var timeout = parseResult.GetValue(_timeout);
        await using var client = GlobalOptions.CreateClient(parseResult);
        return await EachSandbox.RunAsync(parseResult.GetValue(_names)!, "Restarted", async (name, ct) =>
        {
            var sandbox = await client.GetByNameAsync(name, ct);
            await sandbox.RestartAsync(force, timeout, ct);
        }, cancellationToken);
    }
}
