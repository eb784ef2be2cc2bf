using System.CommandLine;
using IncusTestKit.Cli.Invocation;
using IncusTestKit.Sandboxes;

namespace IncusTestKit.Cli.Commands;

/// <summary><c>dotnet isb stop &lt;name&gt;...</c>: stops sandboxes, cleanly unless forced.</summary>
internal sealed class StopCommand : SandboxesVerb
{
    private readonly Option<bool> _force = CommonOptions.Force("Kill it at once instead of asking its init to shut down");

    private readonly Option<TimeSpan?> _timeout = CommonOptions.ShutdownTimeout("How long a clean shutdown may take before it fails [default: no limit]");

    public StopCommand() : base("stop", "Stop one or more sandboxes (a stopped one is left as it is; an ephemeral one is deleted)", "Stopped")
    {
        Options.Add(_force);
        Options.Add(_timeout);
    }

    public override IReadOnlyList<string> Examples { get; } =
    [
        "dotnet isb stop web",
        "dotnet isb stop web --timeout 10s",
        "dotnet isb stop web db --force",
    ];

    protected override async Task ActAsync(ParseResult parseResult, SandboxClient client, string name, CancellationToken cancellationToken) =>
        await (await client.GetByNameAsync(name, cancellationToken)).StopAsync(parseResult.GetValue(_force), parseResult.GetValue(_timeout), cancellationToken);
}
