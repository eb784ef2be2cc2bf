using System.CommandLine;
using IncusTestKit.Cli.Invocation;
using IncusTestKit.Sandboxes;

namespace IncusTestKit.Cli.Commands;

/// <summary><c>dotnet isb cat &lt;name&gt; &lt;path&gt;</c>: a file's exact bytes on standard output.</summary>
internal sealed class CatCommand : SandboxVerb
{
    private readonly Argument<string> _path = new("path")
    {
        Description = "The absolute path of the file in the sandbox",
    };

    public CatCommand() : base("cat", "Print a file of a sandbox, byte for byte (binary files too)")
    {
        Arguments.Add(_path);
    }

    public override IReadOnlyList<string> Examples { get; } =
    [
        "dotnet isb cat web /etc/os-release",
        "dotnet isb cat web /root/out.tar.gz > out.tar.gz",
    ];

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, Sandbox sandbox, CancellationToken cancellationToken)
    {
        // Streamed as it arrives: a large file is never held in memory.
        await using var file = await sandbox.Files.OpenReadAsync(parseResult.GetValue(_path)!, cancellationToken);
        await using var stdout = Console.OpenStandardOutput();
        await file.CopyToAsync(stdout, cancellationToken);
        await stdout.FlushAsync(cancellationToken);
        return 0;
    }
}
