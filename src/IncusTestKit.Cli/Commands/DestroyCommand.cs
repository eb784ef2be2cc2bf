using System.CommandLine;
using IncusTestKit.Cli.Invocation;
using IncusTestKit.Sandboxes;

namespace IncusTestKit.Cli.Commands;

/// <summary><c>dotnet isb destroy &lt;name&gt;...</c>: stops and deletes sandboxes with their snapshots, as <c>incus delete</c> does.</summary>
internal sealed class DestroyCommand : SandboxesVerb
{
    private readonly Option<bool> _force = CommonOptions.Force("Kill a running sandbox at once instead of shutting it down cleanly");

    public DestroyCommand() : base("destroy", "Stop and delete one or more sandboxes, with their snapshots", "Destroyed")
    {
        Options.Add(_force);
    }

    public override IReadOnlyList<string> Examples { get; } =
    [
        "dotnet isb destroy web",
        "dotnet isb destroy web db cache --force",
    ];

    protected override Task ActAsync(ParseResult parseResult, SandboxClient client, string name, CancellationToken cancellationToken) =>
        client.DestroyAsync(name, parseResult.GetValue(_force), cancellationToken);
}
