using System.CommandLine;
using IncusTestKit.Cli.Invocation;
using IncusTestKit.Cli.Output;
using IncusTestKit.Cli.Parsing;

namespace IncusTestKit.Cli.Commands;

/// <summary><c>dotnet isb pull &lt;name&gt; &lt;remote&gt; &lt;local&gt;</c>: copies a file or folder out of a sandbox.</summary>
internal sealed class PullCommand : VerbCommand
{
    private readonly Argument<string> _name = CommonOptions.Name();

    private readonly Argument<string> _remote = new("remote")
    {
        Description = "The absolute path in the sandbox",
    };

    private readonly Argument<string> _local = new("local")
    {
        Description = "The host path the copy gets (the copy itself, not its parent)",
    };

    public PullCommand() : base("pull", "Copy a file or folder out of a sandbox onto the host, keeping modes")
    {
        Arguments.Add(_name);
        Arguments.Add(_remote);
        Arguments.Add(_local);
    }

    public override IReadOnlyList<string> Examples { get; } =
    [
        "dotnet isb pull web /var/log/app.log ./app.log",
        "dotnet isb pull web /root/out ./out",
    ];

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var remote = parseResult.GetValue(_remote)!;
        var local = MountSpecParser.Absolute(parseResult.GetValue(_local)!);
        await using var client = GlobalOptions.CreateClient(parseResult);
        var sandbox = await client.GetByNameAsync(parseResult.GetValue(_name)!, cancellationToken);
        await sandbox.Fs.PullAsync(remote, local, cancellationToken);
        Terminal.Say($"Pulled '{sandbox.Name}:{remote}' to '{local}'.");
        return 0;
    }
}
