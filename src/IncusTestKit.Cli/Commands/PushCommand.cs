using System.CommandLine;
using IncusTestKit.Cli.Invocation;
using IncusTestKit.Cli.Output;
using IncusTestKit.Cli.Parsing;
using IncusTestKit.Sandboxes;

namespace IncusTestKit.Cli.Commands;

/// <summary><c>dotnet isb push &lt;name&gt; &lt;local&gt; &lt;remote&gt;</c>: copies a host file or folder into a sandbox.</summary>
internal sealed class PushCommand : SandboxVerb
{
    private readonly Argument<string> _local = new("local")
    {
        Description = "The host file or folder",
    };

    private readonly Argument<string> _remote = new("remote")
    {
        Description = "The absolute path the copy gets in the sandbox (the copy itself, not its parent)",
    };

    public PushCommand() : base("push", "Copy a host file or folder into a sandbox, keeping modes; missing parents are created. "
        + "Host symlinks are sent as symlinks and never read through; FIFOs, sockets and devices are skipped with a warning")
    {
        Arguments.Add(_local);
        Arguments.Add(_remote);
    }

    public override IReadOnlyList<string> Examples { get; } =
    [
        "dotnet isb push web ./app.conf /etc/app.conf",
        "dotnet isb push web ./src /root/src",
    ];

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, Sandbox sandbox, CancellationToken cancellationToken)
    {
        var local = MountSpecParser.Absolute(parseResult.GetValue(_local)!);
        var remote = parseResult.GetValue(_remote)!;
        var report = await sandbox.Files.PushAsync(local, remote, cancellationToken);
        SkippedEntries.Warn(report);
        Terminal.Say($"Pushed '{local}' to '{sandbox.Name}:{remote}'" + (report.Skipped.Count > 0 ? $" ({report.Skipped.Count} skipped, see the warnings)." : "."));
        return 0;
    }
}
