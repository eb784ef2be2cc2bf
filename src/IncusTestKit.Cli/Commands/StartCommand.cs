using System.CommandLine;
using IncusTestKit.Cli.Invocation;
using IncusTestKit.Sandboxes;

namespace IncusTestKit.Cli.Commands;

/// <summary><c>dotnet isb start &lt;name&gt;...</c>: starts stopped sandboxes.</summary>
internal sealed class StartCommand : SandboxesVerb
{
    public StartCommand() : base("start", "Start one or more stopped sandboxes (a running one is left as it is)", "Started")
    {
    }

    public override IReadOnlyList<string> Examples { get; } =
    [
        "dotnet isb start web",
        "dotnet isb start web db",
    ];

    protected override async Task ActAsync(ParseResult parseResult, SandboxClient client, string name, CancellationToken cancellationToken) =>
        await (await client.GetByNameAsync(name, cancellationToken)).StartAsync(cancellationToken);
}
