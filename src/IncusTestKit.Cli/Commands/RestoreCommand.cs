using System.CommandLine;
using IncusTestKit.Cli.Invocation;
using IncusTestKit.Cli.Output;
using IncusTestKit.Sandboxes;

namespace IncusTestKit.Cli.Commands;

/// <summary><c>dotnet isb restore &lt;name&gt; &lt;snap&gt;</c>: puts a sandbox back as a snapshot found it.</summary>
internal sealed class RestoreCommand : SandboxVerb
{
    private readonly Argument<string> _snapshot = new("snapshot")
    {
        Description = "The snapshot to go back to",
    };

    public RestoreCommand() : base("restore", "Restore a sandbox to one of its snapshots (what changed since is lost)")
    {
        Arguments.Add(_snapshot);
    }

    public override IReadOnlyList<string> Examples { get; } =
    [
        "dotnet isb restore web clean",
    ];

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, Sandbox sandbox, CancellationToken cancellationToken)
    {
        var snapshot = parseResult.GetValue(_snapshot)!;
        await sandbox.RestoreSnapshotAsync(snapshot, cancellationToken);
        Terminal.Say($"Restored sandbox '{sandbox.Name}' to snapshot '{snapshot}'.");
        return 0;
    }
}
