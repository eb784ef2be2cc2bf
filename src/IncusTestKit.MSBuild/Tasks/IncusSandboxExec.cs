using IncusTestKit.Exec;
using IncusTestKit.MSBuild.Session;
using Microsoft.Build.Framework;

namespace IncusTestKit.MSBuild.Tasks;

/// <summary>
/// Runs a command in a sandbox. Its output is logged line by line as it comes; a non-zero exit code fails the task
/// with an error that quotes the last lines (unless <see cref="IgnoreExitCode"/>). Cancelling the build kills the
/// command in the sandbox.
/// </summary>
/// <example>
/// <code>&lt;IncusSandboxExec SandboxName="$(MySandbox)" Command="make test" WorkingDirectory="/workspace" /&gt;</code>
/// </example>
public sealed class IncusSandboxExec : IncusSandboxTask
{
    private const int QuotedLines = 20;
    private CommandOptions? _options;

    /// <summary>The sandbox to run in.</summary>
    [Required]
    public string SandboxName { get; set; } = "";

    /// <summary>A shell command line (run with <c>sh -c</c>); or use <see cref="Arguments"/>.</summary>
    public string? Command { get; set; }

    /// <summary>The program and its arguments, each passed verbatim with no shell; or use <see cref="Command"/>.</summary>
    public ITaskItem[] Arguments { get; set; } = [];

    /// <summary>The absolute working directory in the sandbox (default <c>/</c>); it must exist.</summary>
    public string? WorkingDirectory { get; set; }

    /// <summary>Environment variables as <c>NAME=value</c>.</summary>
    public string[] EnvironmentVariables { get; set; } = [];

    /// <summary>How long the command may run, as <c>hh:mm:ss</c> (default 00:30:00); it is killed after that.</summary>
    public string? Timeout { get; set; }

    /// <summary>Succeed whatever the exit code; read it from <see cref="ExitCode"/>.</summary>
    public bool IgnoreExitCode { get; set; }

    /// <summary>The importance of the command's output lines in the log (default <c>High</c>: shown at minimal verbosity).</summary>
    public string? OutputImportance { get; set; }

    /// <summary>The command's exit code.</summary>
    [Output]
    public int ExitCode { get; private set; }

    private protected override bool Validate()
    {
        var command = Blank(Command);
        if ((command is null) == (Arguments.Length == 0))
        {
            Log.LogErrorWithCodeFromResources("MissingParameter", nameof(IncusSandboxExec), "either Command or Arguments (not both)");
            return false;
        }
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var variable in EnvironmentVariables)
        {
            var equals = variable.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
                LogInvalid(nameof(EnvironmentVariables), variable, "write each variable as NAME=value.");
            else
                environment[variable[..equals]] = variable[(equals + 1)..];
        }
        var workingDirectory = Blank(WorkingDirectory) ?? "/";
        if (!workingDirectory.StartsWith('/'))
            LogInvalid(nameof(WorkingDirectory), WorkingDirectory, "use an absolute path in the sandbox.");
        var timeout = ParseTimeout(nameof(Timeout), Timeout) ?? TimeSpan.FromMinutes(30);
        if (Blank(OutputImportance) is { } importance && !Enum.TryParse<MessageImportance>(importance, ignoreCase: true, out _))
            LogInvalid(nameof(OutputImportance), OutputImportance, "use High, Normal or Low.");
        if (Log.HasLoggedErrors)
            return false;
        _options = new CommandOptions { WorkingDirectory = workingDirectory, Environment = environment, Timeout = timeout };
        return true;
    }

    private protected override async Task ExecuteAsync(BuildSandboxes sandboxes, CancellationToken cancellationToken)
    {
        var sandbox = await sandboxes.GetAsync(SandboxName, Blank(Remote), cancellationToken).ConfigureAwait(false);
        var importance = Blank(OutputImportance) is { } text ? Enum.Parse<MessageImportance>(text, ignoreCase: true) : MessageImportance.High;
        var output = new OutputLines(line => Log.LogMessage(importance, "{0}", line), QuotedLines);
        var options = _options! with { OnOutput = (chunk, _) => { output.Add(chunk); return ValueTask.CompletedTask; } };
        IReadOnlyList<string> argv = Arguments.Length > 0 ? [.. Arguments.Select(a => a.ItemSpec)] : ["sh", "-c", Command!];
        var result = await sandbox.RunCommandAsync(argv, options, cancellationToken).ConfigureAwait(false);
        output.Flush();
        ExitCode = result.ExitCode;
        if (result.Succeeded || IgnoreExitCode)
            return;
        var shown = string.Join(' ', argv);
        if (result.CommandNotFound)
            Log.LogErrorWithCodeFromResources("CommandNotFound", SandboxName, shown);
        else
            Log.LogErrorWithCodeFromResources("CommandFailed", SandboxName, result.ExitCode, shown, output.Last.Count == 0 ? "" : $"Its last lines:\n{string.Join('\n', output.Last)}\n");
    }
}
