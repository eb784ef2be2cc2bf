using System.CommandLine;
using IncusTestKit.Cli.Invocation;
using IncusTestKit.Cli.Output;
using IncusTestKit.Sandboxes;

namespace IncusTestKit.Cli.Commands;

/// <summary><c>dotnet isb unmount &lt;name&gt; &lt;target&gt;</c>: removes a mount made by <c>mount</c> or <c>create --mount</c>.</summary>
internal sealed class UnmountCommand : SandboxVerb
{
    private readonly Argument<string> _target = new("target")
    {
        Description = "Where the host folder is mounted inside the sandbox",
    };

    public UnmountCommand() : base("unmount", "Remove a host-folder mount from a sandbox (an overlay's changes are dropped)")
    {
        Arguments.Add(_target);
    }

    public override IReadOnlyList<string> Examples { get; } =
    [
        "dotnet isb unmount web /work",
    ];

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, Sandbox sandbox, CancellationToken cancellationToken)
    {
        var target = parseResult.GetValue(_target)!;
        await sandbox.UnmountAsync(target, cancellationToken);
        Terminal.Say($"Unmounted '{sandbox.Name}:{target}'.");
        return 0;
    }
}
