using System.CommandLine;
using System.Text.Json;
using IncusTestKit.Cli.Invocation;
using IncusTestKit.Cli.Output;
using IncusTestKit.Exec;

namespace IncusTestKit.Cli.Commands;

/// <summary>
/// <c>dotnet isb exec &lt;name&gt; -- &lt;argv...&gt;</c>: runs a program in a sandbox with live output, piped stdin, and the
/// program's exit code as the tool's.
/// </summary>
internal sealed class ExecCommand : VerbCommand
{
    private readonly Argument<string> _name = CommonOptions.Name();

    private readonly Argument<string[]> _argv = new("command")
    {
        Description = "The program and its arguments, after --; passed as they are, with no shell",
        Arity = ArgumentArity.ZeroOrMore,
    };

    private readonly Option<string?> _shell = new("--sh")
    {
        Description = "Run this shell command line with sh -c instead (pipes, globs, &&)",
        HelpName = "command-line",
    };

    private readonly ProcessOptions _process = new();
    private readonly Option<bool> _json = CommonOptions.Json();

    public ExecCommand() : base("exec", "Run a command in a sandbox; its output streams live and its exit code is the tool's")
    {
        Arguments.Add(_name);
        Arguments.Add(_argv);
        Options.Add(_shell);
        _process.AddTo(this);
        Options.Add(_json);
        Validators.Add(result =>
        {
            var hasArgv = result.GetValue(_argv) is { Length: > 0 };
            var hasShell = result.GetValue(_shell) is not null;
            if (hasArgv && hasShell)
                result.AddError("Give either a command after -- or --sh \"command line\", not both.");
            else if (!hasArgv && !hasShell)
                result.AddError("No command: give one after -- (dotnet isb exec NAME -- ls -la) or as --sh \"ls | wc -l\".");
        });
    }

    public override IReadOnlyList<string> Examples { get; } =
    [
        "dotnet isb exec web -- uname -a",
        "dotnet isb exec web --cwd /tmp --env MODE=test --user nobody -- id",
        "dotnet isb exec web --sh 'ls / | wc -l'",
        "tar c src | dotnet isb exec web -- tar x -C /root",
        "dotnet isb exec web --timeout 5m -- make test",
    ];

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var argv = parseResult.GetValue(_shell) is { } line ? ["sh", "-c", line] : parseResult.GetValue(_argv)!;
        var options = _process.ToCommandOptions(parseResult) with { Stdin = ProcessOptions.RedirectedStdin() };
        var json = parseResult.GetValue(_json);

        await using var client = GlobalOptions.CreateClient(parseResult);
        var sandbox = await client.GetByNameAsync(parseResult.GetValue(_name)!, cancellationToken);
        if (json)
        {
            var result = await sandbox.RunCommandAsync(argv, options, cancellationToken);
            Json.Write(w => WriteResult(w, result));
            return ExitCode(result, sandbox.Name);
        }

        // Output goes straight through as it arrives; nothing is kept.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var live = new LiveOutput(stop);
        try
        {
            var result = await sandbox.RunCommandAsync(argv, options with { OnOutput = live.WriteAsync, OutputLimit = 0 }, stop.Token);
            return ExitCode(result, sandbox.Name);
        }
        catch (OperationCanceledException) when (live.Broken && !cancellationToken.IsCancellationRequested)
        {
            return LiveOutput.BrokenPipeExitCode;
        }
    }

    // The program's exit code is the tool's; a program that was not there also gets an error line, as incus exec gives,
    // and keeps 127 as a shell would. One that ran and exited with 127 itself gets none.
    private static int ExitCode(ExecResult result, string sandbox)
    {
        if (result.CommandNotFound)
        {
            ErrorReporter.Report($"The program '{result.Command[0]}' was not found in sandbox '{sandbox}'.",
                $"Give its full path, or install it in the image; see what is on its PATH with: dotnet isb exec {sandbox} --sh 'echo $PATH'");
        }
        return result.ExitCode;
    }

    private static void WriteResult(Utf8JsonWriter writer, ExecResult result)
    {
        writer.WriteStartObject();
        writer.WriteNumber("exitCode", result.ExitCode);
        writer.WriteString("stdout", result.Stdout);
        writer.WriteString("stderr", result.Stderr);
        writer.WriteNumber("durationMs", (long)result.Duration.TotalMilliseconds);
        writer.WriteBoolean("truncated", result.Truncated);
        writer.WriteBoolean("commandNotFound", result.CommandNotFound);
        writer.WriteEndObject();
    }
}
