using System.CommandLine;
using IncusTestKit.Cli.Invocation;
using IncusTestKit.Cli.Output;

namespace IncusTestKit.Cli.Commands;

/// <summary><c>dotnet isb snapshot-delete &lt;name&gt; &lt;snap&gt;</c>: deletes one snapshot of a sandbox.</summary>
internal sealed class SnapshotDeleteCommand : VerbCommand
{
    private readonly Argument<string> _name = CommonOptions.Name();

    private readonly Argument<string> _snapshot = new("snapshot")
    {
        Description = "The snapshot to delete",
    };

    public SnapshotDeleteCommand() : base("snapshot-delete", "Delete a snapshot of a sandbox")
    {
        Arguments.Add(_name);
        Arguments.Add(_snapshot);
    }

    public override IReadOnlyList<string> Examples { get; } =
    [
        "dotnet isb snapshot-delete web clean",
    ];

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var snapshot = parseResult.GetValue(_snapshot)!;
        await using var client = GlobalOptions.CreateClient(parseResult);
        var sandbox = await client.GetByNameAsync(parseResult.GetValue(_name)!, cancellationToken);
        await sandbox.DeleteSnapshotAsync(snapshot, cancellationToken);
        Terminal.Say($"Deleted snapshot '{snapshot}' of sandbox '{sandbox.Name}'.");
        return 0;
    }
}
