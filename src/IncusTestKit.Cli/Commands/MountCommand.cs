using System.CommandLine;
using IncusTestKit.Cli.Invocation;
using IncusTestKit.Cli.Output;
using IncusTestKit.Cli.Parsing;
using IncusTestKit.Mounts;
using IncusTestKit.Sandboxes;

namespace IncusTestKit.Cli.Commands;

/// <summary><c>dotnet isb mount &lt;name&gt; &lt;source&gt; &lt;target&gt;</c>: mounts a host folder into a running sandbox.</summary>
internal sealed class MountCommand : SandboxVerb
{
    private readonly Argument<string> _source = new("source")
    {
        Description = "The host folder (a relative path is taken from the current directory)",
    };

    private readonly Argument<string> _target = new("target")
    {
        Description = "The absolute path inside the sandbox; created when missing",
    };

    private readonly Option<MountMode?> _mode = new("--mode")
    {
        Description = "overlay: the sandbox may write, the host folder never changes; readonly (ro); readwrite (rw): writes land on the host [default: overlay]",
        HelpName = "overlay|readonly|readwrite",
        CustomParser = result => CommonOptions.ParseOrReport<MountMode?>(result, t => MountSpecParser.ParseMode(t)),
    };

    private readonly Option<bool> _force = new("--force")
    {
        Description = "Mount it even if it is or holds a system folder (/, /etc, /run, /var/lib/incus...), the daemon's socket folder or a socket",
    };

    public MountCommand() : base("mount", "Mount a host folder into a sandbox (overlay by default: the host folder is never changed)")
    {
        Arguments.Add(_source);
        Arguments.Add(_target);
        Options.Add(_mode);
        Options.Add(_force);
    }

    public override IReadOnlyList<string> Examples { get; } =
    [
        "dotnet isb mount web ./src /work",
        "dotnet isb mount web ~/data /data --mode readonly",
        "dotnet isb mount web ./out /out --mode readwrite   # web made with --deny-setuid (or stopped); chown 1000000 ./out first",
        "dotnet isb mount web /etc /host-etc --mode readonly --force",
    ];

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, Sandbox sandbox, CancellationToken cancellationToken)
    {
        var options = new MountOptions(MountSpecParser.Absolute(parseResult.GetValue(_source)!), parseResult.GetValue(_target)!)
        {
            Mode = parseResult.GetValue(_mode) ?? MountMode.Overlay,
            AllowDangerousSource = parseResult.GetValue(_force),
        };
        var mount = await sandbox.MountAsync(options, cancellationToken);
        Terminal.Say($"Mounted '{mount.Source}' at '{sandbox.Name}:{mount.Target}' ({MountSpecParser.Format(mount.Mode)}).");
        return 0;
    }
}
