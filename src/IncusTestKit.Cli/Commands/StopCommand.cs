using System.CommandLine;
using IncusTestKit.Cli.Invocation;

namespace IncusTestKit.Cli.Commands;

/// <summary><c>dotnet isb stop &lt;name&gt;...</c>: stops sandboxes, cleanly unless forced.</summary>
internal sealed class StopCommand : VerbCommand
{
    private readonly Argument<string[]> _names = CommonOptions.Names();

    private readonly Option<bool> _force = new("--force", "-f")
    {
        Description = "Kill it at once instead of asking its init to shut down",
    };

    private readonly Option<TimeSpan?> _timeout = CommonOptions.Duration("--timeout",
        "How long a clean shutdown may take before it fails [default: no limit]", allowZero: false, "-t");

    public StopCommand() : base("stop", "Stop one or more sandboxes (a stopped one is left as it is; an ephemeral one is deleted)")
    {
        Arguments.Add(_names);
        Options.Add(_force);
        Options.Add(_timeout);
    }

    public override IReadOnlyList<string> Examples { get; } =
    [
        "dotnet isb stop web",
        "dotnet isb stop web --timeout 10s",
        "dotnet isb stop web db --force",
    ];

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var force = parseResult.GetValue(_force);
        var timeout = parseResult.GetValue(_timeout);
        await using var client = GlobalOptions.CreateClient(parseResult);
        return await EachSandbox.RunAsync(parseResult.GetValue(_names)!, "Stopped", async (name, ct) =>
        {
            var sandbox = await client.GetByNameAsync(name, ct);
            await sandbox.StopAsync(force, timeout, ct);
        }, cancellationToken);
    }
}
