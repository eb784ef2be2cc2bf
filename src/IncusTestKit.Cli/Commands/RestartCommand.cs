using System.CommandLine;
using IncusTestKit.Cli.Invocation;
using IncusTestKit.Sandboxes;

namespace IncusTestKit.Cli.Commands;

/// <summary><c>dotnet isb restart &lt;name&gt;...</c>: restarts sandboxes (a stopped one is started).</summary>
internal sealed class RestartCommand : SandboxesVerb
{
    private readonly Option<bool> _force = CommonOptions.Force("Kill it instead of a clean shutdown");

    private readonly Option<TimeSpan?> _timeout = CommonOptions.ShutdownTimeout("How long the clean shutdown may take before it fails [default: no limit]");

    public RestartCommand() : base("restart", "Restart one or more sandboxes (a stopped one is started)", "Restarted")
    {
        Options.Add(_force);
        Options.Add(_timeout);
    }

    public override IReadOnlyList<string> Examples { get; } =
    [
        "dotnet isb restart web",
        "dotnet isb restart web --force",
    ];

    protected override async Task ActAsync(ParseResult parseResult, SandboxClient client, string name, CancellationToken cancellationToken) =>
        await (await client.GetByNameAsync(name, cancellationToken)).RestartAsync(parseResult.GetValue(_force), parseResult.GetValue(_timeout), cancellationToken);
}
