using System.CommandLine;
using IncusTestKit.Cli.Parsing;
using IncusTestKit.Exec;

namespace IncusTestKit.Cli.Invocation;

/// <summary>The options of verbs that run something in a sandbox (<c>exec</c>, <c>run</c>): where, as whom, with what, for how long.</summary>
internal sealed class ProcessOptions
{
    /// <summary><c>--cwd</c>.</summary>
    public Option<string?> WorkingDirectory { get; } = new("--cwd", "-w")
    {
        Description = "The working directory in the sandbox (absolute) [default: /]",
        HelpName = "path",
    };

    /// <summary><c>--env</c>, repeatable.</summary>
    public Option<string[]> Environment { get; } = new("--env", "-e")
    {
        Description = "Set an environment variable: KEY=VALUE, or KEY to pass on this shell's value (repeatable)",
        HelpName = "KEY=VALUE",
        AllowMultipleArgumentsPerToken = false,
    };

    /// <summary><c>--user</c>.</summary>
    public Option<string?> User { get; } = new("--user", "-u")
    {
        Description = "Run as this user: a name from the sandbox's /etc/passwd or a numeric uid [default: root]",
        HelpName = "user",
    };

    /// <summary><c>--timeout</c>.</summary>
    public Option<TimeSpan?> Timeout { get; } = CommonOptions.Duration("--timeout",
        "Kill it after this long, with every process it started (held in a cgroup of its own; where the sandbox cannot have one, processes that leave its session and parent and clear their environment survive); 0 for no limit [default: 30s]", allowZero: true, "-t");

    /// <summary>Adds the options to a verb.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(WorkingDirectory);
        command.Options.Add(Environment);
        command.Options.Add(User);
        command.Options.Add(Timeout);
    }

    /// <summary>The SDK's command options for what was given.</summary>
    /// <exception cref="FormatException">An <c>--env</c> value is malformed.</exception>
    public CommandOptions ToCommandOptions(ParseResult parseResult)
    {
        var options = new CommandOptions
        {
            Environment = KeyValueParser.ParseEnvironment(parseResult.GetValue(Environment) ?? [], System.Environment.GetEnvironmentVariable),
            User = parseResult.GetValue(User),
        };
        if (parseResult.GetValue(WorkingDirectory) is { Length: > 0 } cwd)
            options = options with { WorkingDirectory = cwd };
        if (parseResult.GetValue(Timeout) is { } timeout)
            options = options with { Timeout = timeout == TimeSpan.Zero ? System.Threading.Timeout.InfiniteTimeSpan : timeout };
        return options;
    }

    /// <summary>This process's standard input for the command, when it is piped or redirected (a terminal is not passed on).</summary>
    public static CommandInput? RedirectedStdin() =>
        Console.IsInputRedirected ? CommandInput.FromStream(Console.OpenStandardInput()) : null;
}
