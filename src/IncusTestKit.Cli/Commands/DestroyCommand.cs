using System.CommandLine;
using IncusTestKit.Cli.Invocation;
using IncusTestKit.Sandboxes;

namespace IncusTestKit.Cli.Commands;

/// <summary><c>dotnet isb destroy &lt;name&gt;...</c>: stops and deletes sandboxes.</summary>
internal sealed class DestroyCommand : SandboxesVerb
{
    private readonly Option<bool> _force = CommonOptions.Force("Kill a running sandbox at once instead of shutting it down cleanly");

    private readonly Option<bool> _deleteSnapshots = new("--delete-snapshots")
    {
        Description = "Also delete its snapshots (without it, a sandbox with snapshots is refused)",
    };

    public DestroyCommand() : base("destroy", "Stop and delete one or more sandboxes", "Destroyed")
    {
        Options.Add(_force);
        Options.Add(_deleteSnapshots);
    }

    public override IReadOnlyList<string> Examples { get; } =
    [
        "dotnet isb destroy web",
        "dotnet isb destroy web db cache --force",
        "dotnet isb destroy build-7 --delete-snapshots",
    ];

    protected override Task ActAsync(ParseResult parseResult, SandboxClient client, string name, CancellationToken cancellationToken) =>
        client.DestroyAsync(name, parseResult.GetValue(_force), parseResult.GetValue(_deleteSnapshots), cancellationToken);
}
