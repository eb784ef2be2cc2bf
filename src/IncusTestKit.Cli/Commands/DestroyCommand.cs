using System.CommandLine;
using IncusTestKit.Cli.Invocation;

namespace IncusTestKit.Cli.Commands;

/// <summary><c>dotnet isb destroy &lt;name&gt;...</c>: stops and deletes sandboxes.</summary>
internal sealed class DestroyCommand : VerbCommand
{
    private readonly Argument<string[]> _names = CommonOptions.Names();

    private readonly Option<bool> _force = new("--force", "-f")
    {
        Description = "Kill a running sandbox at once instead of shutting it down cleanly",
    };

    private readonly Option<bool> _deleteSnapshots = new("--delete-snapshots")
    {
        Description = "Also delete its snapshots (without it, a sandbox with snapshots is refused)",
    };

    public DestroyCommand() : base("destroy", "Stop and delete one or more sandboxes")
    {
        Arguments.Add(_names);
        Options.Add(_force);
        Options.Add(_deleteSnapshots);
    }

    public override IReadOnlyList<string> Examples { get; } =
    [
        "dotnet isb destroy web",
        "dotnet isb destroy web db cache --force",
        "dotnet isb destroy build-7 --delete-snapshots",
    ];

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var force = parseResult.GetValue(_force);
        var deleteSnapshots = parseResult.GetValue(_deleteSnapshots);
        await using var client = GlobalOptions.CreateClient(parseResult);
        return await EachSandbox.RunAsync(parseResult.GetValue(_names)!, "Destroyed",
            (name, ct) => client.DestroyAsync(name, force, deleteSnapshots, ct), cancellationToken);
    }
}
