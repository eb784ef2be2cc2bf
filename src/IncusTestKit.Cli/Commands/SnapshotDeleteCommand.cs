using System.CommandLine;
using IncusTestKit.Cli.Invocation;
using IncusTestKit.Cli.Output;
using IncusTestKit.Sandboxes;

namespace IncusTestKit.Cli.Commands;

/// <summary><c>dotnet isb snapshot-delete &lt;name&gt; &lt;snap&gt;</c>: deletes one snapshot of a sandbox.</summary>
internal sealed class SnapshotDeleteCommand : SandboxVerb
{
    private readonly Argument<string> _snapshot = new("snapshot")
    {
        Description = "The snapshot to delete",
    };

    public SnapshotDeleteCommand() : base("snapshot-delete", "Delete a snapshot of a sandbox")
    {
        Arguments.Add(_snapshot);
    }

    public override IReadOnlyList<string> Examples { get; } =
    [
        "dotnet isb snapshot-delete web clean",
    ];

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, Sandbox sandbox, CancellationToken cancellationToken)
    {
        var snapshot = parseResult.GetValue(_snapshot)!;
        await sandbox.DeleteSnapshotAsync(snapshot, cancellationToken);
        Terminal.Say($"Deleted snapshot '{snapshot}' of sandbox '{sandbox.Name}'.");
        return 0;
    }
}
