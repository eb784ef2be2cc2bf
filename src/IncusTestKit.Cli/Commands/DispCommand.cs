using System.CommandLine;
using IncusTestKit.Cli.Configuration;
using IncusTestKit.Cli.Disposables;
using IncusTestKit.Cli.Interactive;
using IncusTestKit.Cli.Invocation;
using IncusTestKit.Cli.Output;
using IncusTestKit.Cli.Parsing;
using IncusTestKit.Errors;
using IncusTestKit.Exec;
using IncusTestKit.Sandboxes;
using Microsoft.Extensions.Logging;

namespace IncusTestKit.Cli.Commands;

/// <summary>
/// <c>dotnet isb disp</c>: a disposable sandbox. An Incus ephemeral instance named <c>disp-YYYYMMDD-HHMMSS</c> with a
/// shell on a real terminal (or one command, or its console); when the session ends, for whatever reason, it is
/// deleted. The daemon deletes an ephemeral instance whenever it stops, so even a tool that dies leaves it only until
/// it is stopped.
/// </summary>
internal sealed class DispCommand : VerbCommand
{
    /// <summary>How long deleting the sandbox at the end may take; a second Ctrl-C does not shorten it.</summary>
    public static readonly TimeSpan CleanupBound = TimeSpan.FromSeconds(30);

    /// <summary>How long the shell's exit code may take to arrive after its output ended.</summary>
    private static readonly TimeSpan ExitCodeBound = TimeSpan.FromSeconds(10);

    /// <summary>bash when the image has it, else sh; both as login shells, so /etc/profile sets the prompt and PATH.</summary>
    private static readonly string[] ShellArgv = ["/bin/sh", "-c", "if command -v bash >/dev/null 2>&1; then exec bash -l; fi; exec sh -l"];

    private readonly Option<string?> _image = new("--image", "-i")
    {
        Description = "A local image alias, a fingerprint or remote:alias [default: ISB_IMAGE, else \"image\" in .isb.json (this folder or one above) " +
                      $"or {Home(IsbConfig.UserFilePath(Environment.GetEnvironmentVariable))}, else isb/debian12; now: {CurrentDefaultImage()}]",
        HelpName = "image",
    };

    private readonly Option<string?> _command = new("--cmd", "-c")
    {
        Description = "Run this shell command line (sh -c) instead of attaching: its output streams live, the sandbox is deleted, " +
                      "and the tool exits with the command's exit code",
        HelpName = "command-line",
    };

    private readonly Option<string?> _domain = new("--domain")
    {
        Description = "The same as --project: the Incus project to create it in",
        HelpName = "name",
    };

    private readonly Option<bool> _vm = new("--vm")
    {
        Description = "A virtual machine instead of a container (needs KVM on the host)",
    };

    private readonly Option<bool> _console = new("--console")
    {
        Description = "Attach to its console (serial console of a VM) instead of starting a shell; Ctrl-a q detaches, which deletes it",
    };

    private readonly Option<bool> _noAttach = new("--no-attach")
    {
        Description = "Only create it: print its name, how to get a shell and how to delete it; it lives until it is stopped",
    };

    private readonly Option<string[]> _mounts = new("--mount")
    {
        Description = "Mount a host folder: SRC:TARGET[:MODE][,force], MODE overlay (default), readonly (ro) or readwrite (rw); force allows a system folder; SRC may be relative (repeatable)",
        HelpName = "SRC:TARGET[:MODE]",
        AllowMultipleArgumentsPerToken = false,
    };

    private readonly Option<TimeSpan?> _timeout = CommonOptions.Duration("--timeout",
        "How long to wait for it to run and get an address; one not ready by then is kept for inspection [default: 60s]", allowZero: false);

    private readonly Option<int?> _pool = new("--pool")
    {
        Description = "Take it from a shared warm pool of this configuration (made by earlier runs; created directly when none is ready), " +
                      "and top the pool up to N ready sandboxes for the next run while this one works (the pool's sandboxes outlive the tool)",
        HelpName = "N",
    };

    private readonly IsolationOptions _isolation = new();

    private readonly Option<bool> _quiet = new("--quiet", "-q")
    {
        Description = "No status lines (created, deleted) on standard error",
    };

    public DispCommand() : base("disp", "Start a disposable sandbox with a shell (or one command); it is deleted when you leave")
    {
        Options.Add(_image);
        Options.Add(_command);
        Options.Add(_domain);
        Options.Add(_vm);
        Options.Add(_console);
        Options.Add(_noAttach);
        Options.Add(_mounts);
        Options.Add(_timeout);
        Options.Add(_pool);
        _isolation.AddTo(this);
        Options.Add(_quiet);
        Validators.Add(result =>
        {
            var command = result.GetValue(_command);
            var console = result.GetValue(_console);
            var noAttach = result.GetValue(_noAttach);
            if (command is not null && string.IsNullOrWhiteSpace(command))
                result.AddError("--cmd needs a command line, such as --cmd 'uname -a'.");
            if (new[] { command is not null, console, noAttach }.Count(given => given) > 1)
                result.AddError("Choose one of --cmd, --console and --no-attach.");
            if (result.GetValue(_pool) is { } pool && pool is < 1 or > MaxPool)
                result.AddError($"--pool needs a number of sandboxes from 1 to {MaxPool}, such as --pool 2.");
            if (result.GetValue(_pool) is not null && noAttach)
                result.AddError("--pool cannot be combined with --no-attach: a sandbox from the pool is deleted when the tool ends.");
            if (result.GetValue(_domain) is { Length: > 0 } domain && result.GetValue(GlobalOptions.Project) is { Length: > 0 } project && domain != project)
                result.AddError($"--domain '{domain}' and --project '{project}' disagree; give one of them.");
        });
    }

    /// <summary>The most pool members one configuration may keep: each holds memory and disk while it waits.</summary>
    private const int MaxPool = 20;

    public override IReadOnlyList<string> Examples { get; } =
    [
        "dotnet isb disp",
        "dotnet isb disp --image isb/busybox --cmd 'uname -a && id'",
        "dotnet isb disp --image isb/debian12 --cmd 'cd /tmp && python3 --version' --timeout 2m",
        "dotnet isb disp --image isb/busybox --no-network --processes 100 --cmd ./untrusted.sh",
        "name=$(dotnet isb disp --no-attach --image isb/busybox)",
        "dotnet isb disp --console",
        "dotnet isb disp --pool 2 --image isb/busybox --cmd 'make test'   # the next run claims a ready one in ~50 ms",
        "# It is an Incus ephemeral instance: the daemon deletes it when it stops. Leaving the shell, the end of",
        "# --cmd, Ctrl-C, SIGTERM and SIGHUP all stop it; if this tool is killed (kill -9) it runs until stopped:",
        "# dotnet isb stop disp-... . Default image from ./.isb.json (or above) or ~/.config/isb/config.json: {\"image\": \"isb/busybox\"}",
    ];

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var config = IsbConfig.Load();
        var quiet = parseResult.GetValue(_quiet);
        var options = new SandboxOptions
        {
            Image = parseResult.GetValue(_image),
            Type = parseResult.GetValue(_vm) ? SandboxType.VirtualMachine : null,
            Ephemeral = true,
            // Deleted by this verb, within a bound, however the session ends; --no-attach keeps it on purpose.
            AutoDestroy = false,
            Timeout = parseResult.GetValue(_timeout) ?? new SandboxOptions().Timeout,
            Mounts = MountSpecParser.ParseAll(parseResult.GetValue(_mounts) ?? []),
        };
        options = _isolation.Apply(parseResult, options);

        await using var client = GlobalOptions.CreateClient(parseResult, parseResult.GetValue(_domain), config.DefaultImage(Environment.GetEnvironmentVariable));
        var image = options.Image ?? client.DefaultImage;
        // From here on Ctrl-C, SIGTERM and SIGHUP end the session instead of the process, so the cleanup always runs.
        using var signals = new TerminationSignals();
        using var session = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, signals.Token);

        // Declared after the client, so it is disposed first: it waits (bounded) for the members it is making for the next run.
        await using var pool = parseResult.GetValue(_pool) is { } size ? DispSandbox.Pool(client, options, size) : null;
        Sandbox sandbox;
        var name = DispNames.Prefix + "...";
        try
        {
            using (Progress.Start($"{(pool is null ? "Creating" : "Getting")} a disposable sandbox from {image}"))
            {
                sandbox = pool is not null
                    ? await pool.AcquireAsync(session.Token)
                    : await DispSandbox.CreateAsync(client, options, DateTime.Now, tried => name = tried,
                        GlobalOptions.Loggers(parseResult).CreateLogger(typeof(DispSandbox)), session.Token);
            }
        }
        catch (SandboxTimeoutException e)
        {
            // The SDK keeps a sandbox that started but never became ready, for a post-mortem.
            return ErrorReporter.Report(e.Message,
                $"Look inside: {IncusCommand(client, "exec", name)} -- sh. It is ephemeral: stopping it deletes it ({ToolCommand(client, "stop", name)}).");
        }
        catch (OperationCanceledException) when (session.IsCancellationRequested)
        {
            Console.Error.WriteLine($"cancelled ({signals.Name}) before the sandbox was ready; nothing was left behind");
            return signals.Received ? signals.ExitCode : ErrorReporter.CancelledExitCode;
        }

        Say(quiet, pool is null
            ? $"{sandbox.Name} created from {image} (ephemeral: deleted when it stops)"
            : $"{sandbox.Name} ready from {image} (from the pool of {pool.Size}, key {pool.Key}: deleted when you leave)");
        if (parseResult.GetValue(_noAttach))
            return await PrintHowToUseAsync(client, sandbox, quiet, session.Token);

        var exitCode = ErrorReporter.ErrorExitCode;
        try
        {
            var console = parseResult.GetValue(_console);
            if (parseResult.GetValue(_command) is { } command)
                exitCode = await RunCommandAsync(sandbox, ["sh", "-c", command], session.Token);
            else if (!console && !RawTerminal.IsTerminal(0))
            {
                // Piped input is a script, not keystrokes: the shell reads it without a terminal, as incus exec does.
                exitCode = await RunCommandAsync(sandbox, ShellArgv, session.Token);
            }
            else
                exitCode = await AttachAsync(sandbox, console, quiet, session.Token);
        }
        catch (OperationCanceledException) when (session.IsCancellationRequested)
        {
            exitCode = signals.Received ? signals.ExitCode : ErrorReporter.CancelledExitCode;
        }
        finally
        {
            if (signals.Received)
                Say(quiet, $"{signals.Name}: deleting {sandbox.Name}");
            if (await DispSandbox.DestroyAsync(sandbox, CleanupBound) is { } problem)
            {
                if (exitCode == 0)
                    exitCode = ErrorReporter.ErrorExitCode;
                try
                {
                    ErrorReporter.Report($"Sandbox '{sandbox.Name}' could not be deleted: {problem}.",
                        $"It is ephemeral, so stopping it deletes it: {ToolCommand(client, "stop", sandbox.Name)} --force");
                }
                catch (IOException)
                {
                }
            }
            else
                Say(quiet, $"{sandbox.Name} deleted");
        }
        return exitCode;
    }

    /// <summary>Runs the command with live output and our stdin when it is piped; the session's end (a signal) leaves it to the deletion to stop.</summary>
    private static async Task<int> RunCommandAsync(Sandbox sandbox, IReadOnlyList<string> argv, CancellationToken sessionToken)
    {
        using var stop = new CancellationTokenSource();
        using var live = new LiveOutput(stop);
        var options = new CommandOptions
        {
            Timeout = Timeout.InfiniteTimeSpan,
            OnOutput = live.WriteAsync,
            OutputLimit = 0,
            Stdin = ProcessOptions.RedirectedStdin(),
        };
        var run = sandbox.RunCommandAsync(argv, options, stop.Token);
        try
        {
            // A signal does not wait for the command: deleting the sandbox ends it sooner than any kill.
            var result = await run.WaitAsync(sessionToken);
            return result.ExitCode;
        }
        catch (OperationCanceledException) when (live.Broken && !sessionToken.IsCancellationRequested)
        {
            return LiveOutput.BrokenPipeExitCode;
        }
        finally
        {
            // Left running after a signal, it ends with the sandbox; whatever it throws then is of no interest.
            _ = run.ContinueWith(t => t.Exception, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        }
    }

    /// <summary>A shell (bash, else sh) on a pseudo-terminal, or the console, connected to this terminal (a console also to a pipe).</summary>
    private static async Task<int> AttachAsync(Sandbox sandbox, bool console, bool quiet, CancellationToken sessionToken)
    {
        var (width, height) = TerminalBridge.CurrentSize();
        var terminalOptions = new TerminalOptions
        {
            Width = width,
            Height = height,
            // Escape sequences mean nothing to a pipe.
            Term = Console.IsOutputRedirected ? "dumb" : Environment.GetEnvironmentVariable("TERM") is { Length: > 0 } term ? term : "xterm-256color",
        };
        await using var session = console
            ? await sandbox.AttachConsoleAsync(new ConsoleOptions { Width = width, Height = height }, sessionToken)
            : await sandbox.StartTerminalAsync(ShellArgv, terminalOptions, sessionToken);
        Say(quiet, console
            ? "attached to its console; Ctrl-a q detaches and deletes it"
            : "leave the shell (exit, or Ctrl-D) to delete it");

        var end = await TerminalBridge.RunAsync(session, console, sessionToken);
        if (end == BridgeEnd.Cancelled)
            throw new OperationCanceledException(sessionToken);
        if (console)
            return 0;
        using var bound = new CancellationTokenSource(ExitCodeBound);
        try
        {
            return await session.WaitForExitAsync(bound.Token);
        }
        catch (Exception e) when (e is IncusTestKitException or OperationCanceledException)
        {
            Say(quiet, "the shell's exit code did not arrive (did the sandbox stop?)");
            return ErrorReporter.ErrorExitCode;
        }
    }

    /// <summary><c>--no-attach</c>: the name on standard output (for <c>$(...)</c>), how to use and delete it on standard error.</summary>
    private static async Task<int> PrintHowToUseAsync(SandboxClient client, Sandbox sandbox, bool quiet, CancellationToken cancellationToken)
    {
        Console.Out.WriteLine(sandbox.Name);
        if (quiet)
            return 0;
        var shell = "sh";
        try
        {
            var probe = await sandbox.RunCommandAsync(["sh", "-c", "command -v bash"], new CommandOptions { Timeout = TimeSpan.FromSeconds(10) }, cancellationToken);
            if (probe.ExitCode == 0)
                shell = "bash";
        }
        catch (Exception e) when (e is IncusTestKitException or OperationCanceledException)
        {
            // sh is in every image; a Ctrl-C here leaves the sandbox as asked (kept) and the advice still useful.
        }
        Say(false, $"get a shell:  {IncusCommand(client, "exec", sandbox.Name)} -- {shell}");
        Say(false, $"run a command: {ToolCommand(client, "exec", sandbox.Name)} -- uname -a");
        Say(false, $"delete it:    {ToolCommand(client, "destroy", sandbox.Name)}   (stopping it deletes it too)");
        return 0;
    }

    // A terminal that hung up (SIGHUP) fails every write; the cleanup after it must not.
    private static void Say(bool quiet, string line)
    {
        if (quiet)
            return;
        try
        {
            Console.Error.WriteLine($"isb: {line}");
        }
        catch (IOException)
        {
        }
    }

    private static string ToolCommand(SandboxClient client, string verb, string name) =>
        client.Project == "default" ? $"dotnet isb {verb} {name}" : $"dotnet isb {verb} --project {client.Project} {name}";

    private static string IncusCommand(SandboxClient client, string verb, string name) =>
        client.Project == "default" ? $"incus {verb} {name}" : $"incus {verb} --project {client.Project} {name}";

    private static string Home(string path)
    {
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return home.Length > 1 && path.StartsWith(home + "/", StringComparison.Ordinal) ? "~" + path[home.Length..] : path;
    }

    // For --help: what a disp without --image would use right now, and why. A broken file must not break the help.
    private static string CurrentDefaultImage()
    {
        try
        {
            var config = IsbConfig.Load();
            var image = config.DefaultImage(Environment.GetEnvironmentVariable);
            return image is null ? "isb/debian12, built in" : $"{image} from {Home(config.DefaultImageSource(Environment.GetEnvironmentVariable))}";
        }
        catch (FormatException)
        {
            return $"none: {Home(IsbConfig.Find(Directory.GetCurrentDirectory(), Environment.GetEnvironmentVariable) ?? "the config file")} is broken (dotnet isb doctor says why)";
        }
    }
}
