using System.CommandLine;
using IncusTestKit.Cli.Invocation;
using IncusTestKit.Cli.Output;
using IncusTestKit.Sandboxes;

namespace IncusTestKit.Cli.Commands;

/// <summary><c>dotnet isb snapshot &lt;name&gt; [snap]</c>: takes a snapshot and prints its name.</summary>
internal sealed class SnapshotCommand : SandboxVerb
{
    private readonly Argument<string?> _snapshot = new("snapshot")
    {
        Description = "The snapshot's name [default: one made from the time]",
        Arity = ArgumentArity.ZeroOrOne,
    };

    public SnapshotCommand() : base("snapshot", "Take a snapshot of a sandbox's filesystem and print its name")
    {
        Arguments.Add(_snapshot);
    }

    public override IReadOnlyList<string> Examples { get; } =
    [
        "dotnet isb snapshot web clean",
        "snap=$(dotnet isb snapshot web)",
    ];

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, Sandbox sandbox, CancellationToken cancellationToken)
    {
        var snapshot = await sandbox.CreateSnapshotAsync(parseResult.GetValue(_snapshot), cancellationToken);
        if (Terminal.IsInteractive)
            Console.Out.WriteLine($"Took snapshot '{snapshot.Name}' of sandbox '{sandbox.Name}'. Go back to it with: dotnet isb restore {sandbox.Name} {snapshot.Name}");
        else
            Console.Out.WriteLine(snapshot.Name);
        return 0;
    }
}
