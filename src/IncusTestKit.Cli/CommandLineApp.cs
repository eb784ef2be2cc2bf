using System.CommandLine;
using System.CommandLine.Invocation;
using IncusTestKit.Cli.Commands;
using IncusTestKit.Cli.Invocation;

namespace IncusTestKit.Cli;

/// <summary>The <c>dotnet isb</c> command tree: one file per verb under Commands/.</summary>
internal static class CommandLineApp
{
    /// <summary>How long Ctrl-C waits for a verb to clean up (kill a command, delete a half-made sandbox) before the process ends.</summary>
    private static readonly TimeSpan CleanupGrace = TimeSpan.FromSeconds(15);

    public static RootCommand Build()
    {
        var root = new RootCommand("Disposable, isolated Linux sandboxes on Incus.");
        GlobalOptions.AddTo(root);
        root.Subcommands.Add(new CreateCommand());
        root.Subcommands.Add(new ListCommand());
        root.Subcommands.Add(new InfoCommand());
        root.Subcommands.Add(new StartCommand());
        root.Subcommands.Add(new StopCommand());
        root.Subcommands.Add(new RestartCommand());
        root.Subcommands.Add(new DestroyCommand());
        root.Subcommands.Add(new ExecCommand());
        root.Subcommands.Add(new RunCommand());
        root.Subcommands.Add(new PushCommand());
        root.Subcommands.Add(new PullCommand());
        root.Subcommands.Add(new CatCommand());
        root.Subcommands.Add(new LsCommand());
        root.Subcommands.Add(new MountCommand());
        root.Subcommands.Add(new UnmountCommand());
        root.Subcommands.Add(new MountsCommand());
        root.Subcommands.Add(new SnapshotCommand());
        root.Subcommands.Add(new RestoreCommand());
        root.Subcommands.Add(new SnapshotsCommand());
        root.Subcommands.Add(new SnapshotDeleteCommand());
        root.Subcommands.Add(new DispCommand());
        root.Subcommands.Add(new DoctorCommand());
        root.Subcommands.Add(new GcCommand());
        ExamplesHelpAction.Install(root,
        [
            "dotnet isb create web --image isb/busybox",
            "dotnet isb exec web -- uname -a",
            "dotnet isb push web ./src /root/src",
            "dotnet isb list",
            "dotnet isb destroy web",
        ]);
        return root;
    }

    /// <summary>Parses and runs a command line; mistakes in it are reported like every other error (exit code 1).</summary>
    public static async Task<int> InvokeAsync(string[] args)
    {
        // No verb at all: the overview is more use than "Required command was not provided".
        // No response files: '@' starts a cluster group (--target @gpu) and may start any value (--label owner=@team).
        var parseResult = Build().Parse(args.Length == 0 ? ["--help"] : args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (parseResult.Errors.Count > 0 && parseResult.Action is ParseErrorAction)
            return ParseErrorReporter.Report(parseResult);
        // disp catches SIGINT, SIGTERM and SIGHUP itself: its cleanup has its own bound, which no grace period may cut.
        var grace = parseResult.CommandResult.Command is DispCommand ? (TimeSpan?)null : CleanupGrace;
        return await parseResult.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = grace });
    }
}
