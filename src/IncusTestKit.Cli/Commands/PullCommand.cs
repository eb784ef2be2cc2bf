using System.CommandLine;
using IncusTestKit.Cli.Invocation;
using IncusTestKit.Cli.Output;
using IncusTestKit.Cli.Parsing;
using IncusTestKit.Files;
using IncusTestKit.Sandboxes;

namespace IncusTestKit.Cli.Commands;

/// <summary><c>dotnet isb pull &lt;name&gt; &lt;remote&gt; &lt;local&gt;</c>: copies a file or folder out of a sandbox.</summary>
internal sealed class PullCommand : SandboxVerb
{
    private readonly Argument<string> _remote = new("remote")
    {
        Description = "The absolute path in the sandbox",
    };

    private readonly Argument<string> _local = new("local")
    {
        Description = "The host path the copy gets (the copy itself, not its parent)",
    };

    private readonly Option<long?> _maxFileSize = new("--max-file-size")
    {
        Description = "Skip (with a warning) files larger than this, such as 100MB (default: no limit)",
        HelpName = "size",
        CustomParser = result => CommonOptions.ParseOrReport<long?>(result, t => SizeParser.Parse(t)),
    };

    private readonly Option<long?> _maxTotalSize = new("--max-total-size")
    {
        Description = "Refuse, before writing anything, a pull whose files add up to more than this, such as 2GB "
            + "(default: the host's free space)",
        HelpName = "size",
        CustomParser = result => CommonOptions.ParseOrReport<long?>(result, t => SizeParser.Parse(t)),
    };

    private readonly Option<TimeSpan?> _stallTimeout = CommonOptions.Duration("--stall-timeout",
        "Stop when a file delivers nothing for this long (default: 30s)", allowZero: false);

    public PullCommand() : base("pull", "Copy a file or folder out of a sandbox onto the host, keeping modes. "
        + "Nothing the sandbox controls lands outside <local>: symlinks that leave the copied tree are skipped (with a warning), "
        + "host symlinks are never followed, no file grows past its listed size, and modes lose setuid/setgid/sticky and are masked with the umask")
    {
        Arguments.Add(_remote);
        Arguments.Add(_local);
        Options.Add(_maxFileSize);
        Options.Add(_maxTotalSize);
        Options.Add(_stallTimeout);
    }

    public override IReadOnlyList<string> Examples { get; } =
    [
        "dotnet isb pull web /var/log/app.log ./app.log",
        "dotnet isb pull web /root/out ./out",
        "dotnet isb pull web /root/out ./out --max-file-size 100MB --max-total-size 2GB",
    ];

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, Sandbox sandbox, CancellationToken cancellationToken)
    {
        var remote = parseResult.GetValue(_remote)!;
        var local = MountSpecParser.Absolute(parseResult.GetValue(_local)!);
        var options = new PullOptions
        {
            MaxFileSize = parseResult.GetValue(_maxFileSize),
            MaxTotalSize = parseResult.GetValue(_maxTotalSize),
            StallTimeout = parseResult.GetValue(_stallTimeout) ?? new PullOptions().StallTimeout,
        };
        var report = await sandbox.Files.PullAsync(remote, local, options, cancellationToken);
        SkippedEntries.Warn(report);
        Terminal.Say($"Pulled '{sandbox.Name}:{remote}' to '{local}'" + (report.Skipped.Count > 0 ? $" ({report.Skipped.Count} skipped, see the warnings)." : "."));
        return 0;
    }
}
