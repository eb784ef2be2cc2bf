using System.CommandLine;
using IncusTestKit.Cli.Invocation;

namespace IncusTestKit.Cli.Commands;

/// <summary><c>dotnet isb destroy &lt;name&gt;...</c>: stops and deletes sandboxes with their snapshots, as <c>incus delete</c> does.</summary>
internal sealed class DestroyCommand : VerbCommand
{
    private readonly Argument<string[]> _names = CommonOptions.Names();

    private readonly Option<bool> _force = new("--force", "-f")
    {
        Description = "Kill a running sandbox at once instead of shutting it down cleanly",
    };

    public DestroyCommand() : base("destroy", "Stop and delete one or more sandboxes, with their snapshots")
    {
        Arguments.Add(_names);
        Options.Add(_force);
    }

    public override IReadOnlyList<string> Examples { get; } =
    [
        "dotnet isb destroy web",
        "dotnet isb destroy web db cache --force",
    ];

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var force = parseResult.GetValue(_force);
        await using var client = GlobalOptions.CreateClient(parseResult);
        return await EachSandbox.RunAsync(parseResult.GetValue(_names)!, "Destroyed",
            (name, ct) => client.DestroyAsync(name, force, ct), cancellationToken);
    }
}
