using System.CommandLine;
using IncusTestKit.Cli.Invocation;

namespace IncusTestKit.Cli.Commands;

/// <summary><c>dotnet isb start &lt;name&gt;...</c>: starts stopped sandboxes.</summary>
internal sealed class StartCommand : VerbCommand
{
    private readonly Argument<string[]> _names = CommonOptions.Names();

    public StartCommand() : base("start", "Start one or more stopped sandboxes (a running one is left as it is)")
    {
        Arguments.Add(_names);
    }

    public override IReadOnlyList<string> Examples { get; } =
    [
        "dotnet isb start web",
        "dotnet isb start web db",
    ];

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        await using var client = GlobalOptions.CreateClient(parseResult);
        return await EachSandbox.RunAsync(parseResult.GetValue(_names)!, "Started", async (name, ct) =>
        {
            var sandbox = await client.GetByNameAsync(name, ct);
            await sandbox.StartAsync(ct);
        }, cancellationToken);
    }
}
